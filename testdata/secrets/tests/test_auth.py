def test_auth(client):
    headers = {"Authorization": "Bearer abc123.def456.ghi789"}
    # GitHub's format, but the checksum fails: no token of GitHub's.
    other = {"Authorization": "token @@ghp-bad@@"}
