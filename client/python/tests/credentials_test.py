"""Where flowgrid.Client takes its address, TLS CA and API key from (its
arguments, else FLOWGRID_* environment variables), and the errors of
unusable ones; no server involved."""

import os
import tempfile
import unittest
from unittest import mock

import grpc

import flowgrid
from flowgrid import credentials

ENV_NAMES = ("FLOWGRID_ADDR", "FLOWGRID_TLS_CA", "FLOWGRID_API_KEY", "FLOWGRID_API_KEY_FILE")


def environment(**values):
    """The FLOWGRID_* variables set to `values` only, for a `with` block."""
    cleared = {name: "" for name in ENV_NAMES}
    cleared.update(values)
    return mock.patch.dict(os.environ, cleared)


class ResolveTest(unittest.TestCase):
    def setUp(self):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.key_file = os.path.join(directory.name, "dev.key")
        with open(self.key_file, "w", encoding="utf-8") as f:
            f.write("  file-key-0123456789 \nignored\n")

    def test_address_from_argument_then_environment_then_default(self):
        with environment(FLOWGRID_ADDR="env:1"):
            self.assertEqual(credentials.resolve_address("arg:2"), "arg:2")
            self.assertEqual(credentials.resolve_address(None), "env:1")
        with environment():
            self.assertEqual(credentials.resolve_address(None), "127.0.0.1:7070")

    def test_tls_ca_from_argument_then_environment_and_empty_turns_tls_off(self):
        with environment(FLOWGRID_TLS_CA="/env/ca.pem"):
            self.assertEqual(credentials.resolve_tls_ca(None), "/env/ca.pem")
            self.assertEqual(credentials.resolve_tls_ca("/arg/ca.pem"), "/arg/ca.pem")
            self.assertEqual(credentials.resolve_tls_ca(""), "")

    def test_api_key_precedence(self):
        with environment(FLOWGRID_API_KEY="env-key-0123456789",
                         FLOWGRID_API_KEY_FILE="/nonexistent/dev.key"):
            self.assertEqual(credentials.resolve_api_key("arg-key", None), "arg-key")
            self.assertEqual(credentials.resolve_api_key(None, self.key_file),
                             "file-key-0123456789")
            self.assertEqual(credentials.resolve_api_key(None, None), "env-key-0123456789")
            self.assertEqual(credentials.resolve_api_key("", None), "")
            self.assertEqual(credentials.resolve_api_key(None, ""), "")
        with environment(FLOWGRID_API_KEY_FILE=self.key_file):
            self.assertEqual(credentials.resolve_api_key(None, None), "file-key-0123456789")
        with environment():
            self.assertEqual(credentials.resolve_api_key(None, None), "")


class ErrorsTest(unittest.TestCase):
    def assert_invalid(self, pattern, **kwargs):
        with environment():
            with self.assertRaisesRegex(flowgrid.Error, pattern) as raised:
                flowgrid.Client("127.0.0.1:1", **kwargs)
        self.assertEqual(raised.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        return raised.exception

    def test_unreadable_files_are_named(self):
        self.assert_invalid("cannot read the TLS CA file /nonexistent/ca.pem",
                            tls_ca="/nonexistent/ca.pem")
        self.assert_invalid("cannot read the API key file /nonexistent/dev.key",
                            api_key_file="/nonexistent/dev.key")
        with tempfile.NamedTemporaryFile("w", suffix=".pem") as not_pem:
            not_pem.write("hello\n")
            not_pem.flush()
            self.assert_invalid(f"the TLS CA file {not_pem.name} holds no PEM CERTIFICATE",
                                tls_ca=not_pem.name)

    def test_tls_settings_without_tls_and_half_a_client_certificate(self):
        self.assert_invalid("need TLS: give tls_ca", tls_server_name="scheduler")
        self.assert_invalid("tls_cert and tls_key go together", tls_ca=True,
                            tls_cert="client.pem")

    def test_a_key_grpc_cannot_send_is_refused_without_echoing_it(self):
        error = self.assert_invalid("api_key holds whitespace", api_key="secret with spaces")
        self.assertNotIn("secret", error.message)


if __name__ == "__main__":
    unittest.main()
