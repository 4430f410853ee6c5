package main

import "github.com/spf13/cobra"

// configCmds are the commands about the configuration itself.
func configCmds(o *options) []*cobra.Command {
	return nil
}
