"""The offices' signing keys for notices, and the signature on a notice PDF (PAdES, pyHanko).

One CA per installation (``ca-key.pem``/``ca-cert.pem``) issues one certificate per office
(``offices/<code>.key.pem``/``.cert.pem``), all in ``NOTICE_KEYS_DIR`` (``instance/notice-keys``,
never in git). A reader trusts the CA certificate once and checks every office's documents
with it. Rotation (docs/notices.md): a new office key replaces the old, which moves to
``retired/``; documents signed before still verify, because they carry their certificate and it
chains to the CA. A retired CA's certificate stays trusted as ``retired/ca-*.cert.pem``.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ..domain.errors import DomainError
from ..domain.text import N_

T = TypeVar("T")
CA_NAME = "通办政务文书签章根证书 (Tongban notice signing CA)"
CA_YEARS = 20
OFFICE_YEARS = 5


class NoKey(DomainError):
    code = "no_notice_key"


@dataclass(frozen=True)
class OfficeKey:
    code: str
    key_path: Path
    cert_path: Path
    fingerprint: str  # SHA-256 of the certificate, hex


@dataclass(frozen=True)
class SignatureCheck:
    """What pyHanko's validation says of a PDF's signature(s)."""

    signed: bool  # it has at least one signature
    intact: bool  # the signed bytes are unchanged and the whole file is covered
    trusted: bool  # the signing certificate chains to one of our CAs
    signer: str  # the signing certificate's common name ('' if none)

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.trusted


def _at_most_64_bytes(text: str) -> str:
    """X.509 limits a common name to 64 (UTF-8 bytes here): a long office name is cut."""
    while len(text.encode()) > 64:
        text = text[:-1]
    return text


def _name(common: str, org: str = "通办") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, _at_most_64_bytes(common)),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


class KeyStore:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    # ---- paths -------------------------------------------------------------------------------

    @property
    def ca_key_path(self) -> Path:
        return self.folder / "ca-key.pem"

    @property
    def ca_cert_path(self) -> Path:
        return self.folder / "ca-cert.pem"

    def office_paths(self, code: str) -> tuple[Path, Path]:
        safe = "".join(ch for ch in code if ch.isalnum() or ch in "-_")
        return (
            self.folder / "offices" / f"{safe}.key.pem",
            self.folder / "offices" / f"{safe}.cert.pem",
        )

    def has_ca(self) -> bool:
        return self.ca_key_path.exists() and self.ca_cert_path.exists()

    # ---- creating ----------------------------------------------------------------------------

    def create_ca(self, now: datetime, *, rotate: bool = False) -> bool:
        """Make the CA if there is none (or, ``rotate``, a new one, the old kept trusted).
        Returns whether a CA was made."""
        if self.has_ca() and not rotate:
            return False
        if self.has_ca():
            stamp = now.strftime("%Y%m%d%H%M%S")
            retired = self.folder / "retired"
            retired.mkdir(parents=True, exist_ok=True)
            self.ca_cert_path.rename(retired / f"ca-{stamp}.cert.pem")
            self.ca_key_path.rename(retired / f"ca-{stamp}.key.pem")
        key = ec.generate_private_key(ec.SECP256R1())
        name = _name(CA_NAME)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        _write_private(self.ca_key_path, _key_pem(key))
        self.ca_cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return True

    def create_office(
        self, code: str, name_zh: str, now: datetime, *, rotate: bool = False
    ) -> OfficeKey:
        """The office's key and certificate, made (signed by the CA) if missing or ``rotate``."""
        key_path, cert_path = self.office_paths(code)
        if key_path.exists() and cert_path.exists() and not rotate:
            return self._office(code)
        if not self.has_ca():
            raise NoKey(N_("尚未创建文书签章根证书（flask tracker notice-keys create）"))
        if key_path.exists() and cert_path.exists():
            stamp = now.strftime("%Y%m%d%H%M%S")
            retired = self.folder / "retired"
            retired.mkdir(parents=True, exist_ok=True)
            cert_path.rename(retired / f"{cert_path.name[: -len('.cert.pem')]}-{stamp}.cert.pem")
            key_path.rename(retired / f"{key_path.name[: -len('.key.pem')]}-{stamp}.key.pem")
        ca_key = serialization.load_pem_private_key(self.ca_key_path.read_bytes(), None)
        ca_cert = x509.load_pem_x509_certificate(self.ca_cert_path.read_bytes())
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)  # noqa: S101 (we made it)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name_zh))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365 * OFFICE_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(ca=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(key_path, _key_pem(key))
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return self._office(code)

    def _office(self, code: str) -> OfficeKey:
        key_path, cert_path = self.office_paths(code)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        return OfficeKey(code, key_path, cert_path, cert.fingerprint(hashes.SHA256()).hex())

    def office_key(self, code: str, name_zh: str, now: datetime, *, autocreate: bool) -> OfficeKey:
        key_path, cert_path = self.office_paths(code)
        if key_path.exists() and cert_path.exists():
            return self._office(code)
        if not autocreate:
            raise NoKey(N_("该部门尚无文书签章密钥（flask tracker notice-keys create）"))
        self.create_ca(now)
        return self.create_office(code, name_zh, now)

    # ---- trust -------------------------------------------------------------------------------

    def trust_roots(self) -> list[asn1_x509.Certificate]:
        paths = [self.ca_cert_path, *sorted((self.folder / "retired").glob("ca-*.cert.pem"))]
        return [_asn1_cert(p.read_bytes()) for p in paths if p.exists()]


def _asn1_cert(pem: bytes) -> asn1_x509.Certificate:
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    return asn1_x509.Certificate.load(der)


def sign_pdf(
    data: bytes, store: KeyStore, office: OfficeKey, *, reason: str, location: str
) -> bytes:
    """``data`` signed PAdES (B-B) with the office's key; the CA certificate is embedded."""
    key = serialization.load_pem_private_key(office.key_path.read_bytes(), None)
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = signers.SimpleSigner(
        signing_cert=_asn1_cert(office.cert_path.read_bytes()),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [_asn1_cert(store.ca_cert_path.read_bytes())]
        ),
    )
    meta = signers.PdfSignatureMetadata(
        field_name="OfficeSeal",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    out = _off_loop(
        lambda: signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), meta, signer=signer)
    )
    return bytes(out.getvalue())


def _off_loop(fn: Callable[[], T]) -> T:
    """Run ``fn`` (which calls ``asyncio.run`` inside pyHanko) in a worker thread when this
    thread already runs an event loop (a caller driving Playwright, an async server)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result()


def check_signature(data: bytes, store: KeyStore) -> SignatureCheck:
    """Validate every signature in ``data`` against our CAs (pyHanko's validation API). A file
    that does not parse, or whose signed bytes changed, is refused (never an exception)."""
    return _off_loop(lambda: _check_signature(data, store))


def _check_signature(data: bytes, store: KeyStore) -> SignatureCheck:
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sigs = list(reader.embedded_signatures)
    except Exception:  # noqa: BLE001 - anything unreadable is simply not a valid document
        return SignatureCheck(False, False, False, "")
    if not sigs:
        return SignatureCheck(False, False, False, "")
    context = ValidationContext(trust_roots=store.trust_roots(), allow_fetching=False)
    intact = trusted = True
    signer = ""
    for sig in sigs:
        try:
            status = validate_pdf_signature(sig, context)
        except Exception:  # noqa: BLE001
            return SignatureCheck(True, False, False, "")
        intact = (
            intact
            and bool(status.intact and status.valid)
            and (status.coverage is not None and status.coverage.name == "ENTIRE_FILE")
        )
        trusted = trusted and bool(status.trusted)
        signer = status.signing_cert.subject.native.get("common_name", "")
    return SignatureCheck(True, intact, trusted, str(signer))
