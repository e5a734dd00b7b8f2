"""A private certificate authority for the local SeaweedFS's gRPC ports (mutual TLS): generated once per install,
keys 0600 in a 0700 folder, so no other local user can talk to the filer, master or volume server over gRPC."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from infra.private import private_dir, write_private

VALID_FOR = dt.timedelta(days=3650)


@dataclass(frozen=True)
class Certificates:
    ca: Path
    cert: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def ensure_certificates(folder: Path) -> Certificates:
    """One CA and one certificate for every component (SeaweedFS does not check host names)."""
    paths = Certificates(folder / "ca.pem", folder / "seaweedfs.pem", folder / "seaweedfs.key")
    if all(path.exists() for path in (paths.ca, paths.cert, paths.key)):
        return paths
    private_dir(folder)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("rainforest local CA")).issuer_name(_name("rainforest local CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(now + VALID_FOR)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("seaweedfs")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + VALID_FOR)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    write_private(paths.key, _pem_key(key))
    write_private(paths.cert, cert.public_bytes(serialization.Encoding.PEM).decode())
    write_private(paths.ca, ca.public_bytes(serialization.Encoding.PEM).decode())
    return paths
