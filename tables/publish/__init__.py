"""The publish protocol (intent → mains fast-forwarded → complete), its log and watermark, and table upkeep."""
