"""The team hears of a failed or blocked run: a Prefect automation posts the flow run's name, its date and its
failure (the failed checks and the command that fixes or accepts the day, as the run's error says them) to
RAINFOREST_ALERT_WEBHOOK. The Prefect server sends it, so it also comes for a run whose process died (Crashed)."""

from __future__ import annotations

from typing import cast
from uuid import UUID

from infra.settings import settings

AUTOMATION = "rainforest-run-failed"
WEBHOOK_BLOCK = "rainforest-alert-webhook"
WATCHED_FLOWS = ("rainforest-daily", "rainforest-backfill")
SUBJECT = "Rainforest: {{ flow.name }} run {{ flow_run.name }} {{ flow_run.state.name }}"
BODY = ("{{ flow.name }} run {{ flow_run.name }} ended {{ flow_run.state.name }} "
        "(parameters: {{ flow_run.parameters }}).\n\n{{ flow_run.state.message }}")


def configure_alerts() -> str:
    """Create (or replace) the webhook block and the automation on the configured Prefect server; without a
    webhook, remove the automation."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.client.orchestration import get_client
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    webhook = settings().alert_webhook
    if not webhook:
        with get_client(sync_client=True) as client:
            for existing in client.read_automations_by_name(AUTOMATION):
                client.delete_automation(existing.id)
        return "RAINFOREST_ALERT_WEBHOOK is not set (see .env.example): no alerts"
    block = CustomWebhookNotificationBlock(name=WEBHOOK_BLOCK, url=webhook, headers=None, cookies=None,
                                           json_data={"subject": "{{subject}}", "text": "{{body}}"})
    block_id = cast(UUID, block.save(WEBHOOK_BLOCK, overwrite=True))  # a sync call outside an event loop
    automation = AutomationCore(
        name=AUTOMATION,
        description="A failed or crashed Rainforest run posts its failure to RAINFOREST_ALERT_WEBHOOK",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.role": "flow", "prefect.resource.name": list(WATCHED_FLOWS)},
            posture=Posture.Reactive, threshold=1),
        actions=[SendNotification(block_document_id=block_id, subject=SUBJECT, body=BODY)])
    with get_client(sync_client=True) as client:
        for existing in client.read_automations_by_name(AUTOMATION):
            client.delete_automation(existing.id)
        client.create_automation(automation)
    return f"runs of {' and '.join(WATCHED_FLOWS)} that fail or crash post to RAINFOREST_ALERT_WEBHOOK"
