"""How flowgrid.Client secures and authenticates its channel: TLS towards
the scheduler's client port and the API key sent with every call, each
defaulting to the environment variables flowgridctl reads
(FLOWGRID_ADDR, FLOWGRID_TLS_CA, FLOWGRID_API_KEY, FLOWGRID_API_KEY_FILE)."""

import os

import grpc

from flowgrid.errors import Error

DEFAULT_ADDRESS = "127.0.0.1:7070"


def resolve_address(address):
    """`address`, else $FLOWGRID_ADDR, else 127.0.0.1:7070."""
    return address or os.environ.get("FLOWGRID_ADDR") or DEFAULT_ADDRESS


def resolve_tls_ca(tls_ca):
    """The CA file to verify the scheduler with: `tls_ca` when given (""
    turns TLS off), else $FLOWGRID_TLS_CA; None or "": plaintext."""
    return os.environ.get("FLOWGRID_TLS_CA") if tls_ca is None else tls_ca


def resolve_api_key(api_key, api_key_file):
    """The key to send: `api_key`, else the first line of `api_key_file`,
    else $FLOWGRID_API_KEY, else the file $FLOWGRID_API_KEY_FILE names.
    "" for either argument sends none whatever the environment says."""
    if api_key is not None:
        return api_key
    if api_key_file is not None:
        return read_api_key_file(api_key_file) if api_key_file else ""
    if os.environ.get("FLOWGRID_API_KEY"):
        return os.environ["FLOWGRID_API_KEY"]
    if os.environ.get("FLOWGRID_API_KEY_FILE"):
        return read_api_key_file(os.environ["FLOWGRID_API_KEY_FILE"])
    return ""


def read_api_key_file(path):
    """The key on the first line of the file at `path`, stripped (the form
    `flowgridctl dev` writes). Errors name the file, never its content."""
    try:
        with open(path, encoding="utf-8") as f:
            key = f.readline().strip()
    except (OSError, UnicodeDecodeError) as e:
        raise Error(grpc.StatusCode.INVALID_ARGUMENT,
                    f"cannot read the API key file {path}: {e}") from e
    if not key:
        raise Error(grpc.StatusCode.INVALID_ARGUMENT,
                    f"the API key file {path} has no key on its first line")
    return key


def check_api_key(api_key):
    """gRPC metadata takes printable ASCII only: anything else would fail
    every call, so it is refused up front (without echoing the key)."""
    if any(c <= " " or c > "~" for c in api_key):
        raise Error(grpc.StatusCode.INVALID_ARGUMENT,
                    "api_key holds whitespace or a character outside printable ASCII")


def _read_pem(what, path, label):
    try:
        with open(path, "rb") as f:
            pem = f.read()
    except OSError as e:
        raise Error(grpc.StatusCode.INVALID_ARGUMENT, f"cannot read the {what} {path}: {e}") from e
    if b"-----BEGIN " + label not in pem:
        raise Error(grpc.StatusCode.INVALID_ARGUMENT,
                    f"the {what} {path} holds no PEM {label.decode()}")
    return pem


def channel_credentials(tls_ca, tls_cert, tls_key):
    """grpc.ChannelCredentials verifying the scheduler against the PEM CA
    file `tls_ca` (True: the system's roots), with a client certificate
    chain and key (PEM files) when both are given."""
    if bool(tls_cert) != bool(tls_key):
        raise Error(grpc.StatusCode.INVALID_ARGUMENT,
                    "tls_cert and tls_key go together: give both or neither")
    roots = None if tls_ca is True else _read_pem("TLS CA file", tls_ca, b"CERTIFICATE")
    chain = key = None
    if tls_cert:
        chain = _read_pem("TLS client certificate file", tls_cert, b"CERTIFICATE")
        key = _read_pem("TLS client key file", tls_key, b"")
        if b"PRIVATE KEY-----" not in key:
            raise Error(grpc.StatusCode.INVALID_ARGUMENT,
                        f"the TLS client key file {tls_key} holds no PEM private key")
    return grpc.ssl_channel_credentials(root_certificates=roots, private_key=key,
                                        certificate_chain=chain)
