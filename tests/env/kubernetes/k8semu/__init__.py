"""A Kubernetes API-server emulator for Cuttle's tests; see docs/testing.md."""
