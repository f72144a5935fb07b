package handlers

func TestWorkspaceAuth(t *testing.T) {
	req.Header.Set("Authorization", "Bearer test-workspace-token-abc123")
	// A value that looks generated is a warning in a test: most likely a fixture.
	req.Header.Set("Authorization", "Bearer @@random@@")
	// A token with a valid checksum is an error anywhere.
	client := github.NewClient(nil).WithAuthToken("@@ghp@@")
}
