package main

import "github.com/spf13/cobra"

// remoteCmds are the commands that talk to a running server (SWITCHBOARD_URL,
// SWITCHBOARD_TOKEN) through the Go client.
func remoteCmds(o *options) []*cobra.Command {
	return nil
}
