def test_auth(client):
    headers = {"Authorization": "Bearer abc123.def456.ghi789"}
    # GitHub's format, but the checksum fails: no token of GitHub's.
    other = {"Authorization": "token @@ghp-bad@@"}
    # A provider's format in a test: most likely a fake, a warning (it still fails the default gate).
    aws = {"aws_access_key_id": "@@aws@@"}
