package cli

import "context"

func runFleetMigrate(ctx context.Context, args []string, s Streams, env Env) error {
	return usagef("fleet migrate: not yet")
}
