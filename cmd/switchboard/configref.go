package main

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// referenceCommand is how docs/configuration.md is made; the test that compares it names it.
const referenceCommand = "go run ./cmd/switchboard config reference > docs/configuration.md"

// envWithoutFlag are the variables that no flag's default comes from, with what they do.
// (Variables read as a flag's default are found by config reference itself.)
var envWithoutFlag = map[string]string{}

func configReferenceCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "reference",
		Short:  "Print the configuration reference in Markdown (docs/configuration.md)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := io.WriteString(cmd.OutOrStdout(), configReference())
			return err
		},
	}
}

// configReference documents every command's flags with the environment variable each reads,
// its default and its help text. The defaults are the code's: the tree is built with every
// SWITCHBOARD_* variable unset (and they are restored after). Which variable sets which flag
// is found by building the tree again with each variable set and seeing whose default
// changes, so the reference says what the code does, not what a help text claims (a flag
// whose help names a variable that is read later, when the command runs, is listed too).
func configReference() string {
	saved := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "SWITCHBOARD_") {
			saved[k] = v
			os.Unsetenv(k)
		}
	}
	defer func() {
		for k, v := range saved {
			os.Setenv(k, v)
		}
	}()
	build := func() *cobra.Command {
		return newRoot(&options{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)})
	}
	base := build()
	defaults := flagDefaults(base)

	// Candidates: every variable a help text names, and those without a flag.
	names := map[string]bool{}
	for n := range envWithoutFlag {
		names[n] = true
	}
	walk(base, func(c *cobra.Command) {
		for _, m := range envMention.FindAllString(c.Short+" "+c.Long, -1) {
			names[m] = true
		}
		visitFlags(c, func(f *pflag.Flag) {
			for _, m := range envMention.FindAllString(f.Usage, -1) {
				names[m] = true
			}
		})
	})
	envOf := map[string][]string{} // flag key -> variables
	for _, n := range slices.Sorted(maps.Keys(names)) {
		os.Setenv(n, "7919")
		for key, def := range flagDefaults(build()) {
			if defaults[key] != def {
				envOf[key] = append(envOf[key], n)
			}
		}
		os.Unsetenv(n)
	}
	// A help text that names a variable for its own flag (read when the command runs).
	walk(base, func(c *cobra.Command) {
		visitFlags(c, func(f *pflag.Flag) {
			key := flagKey(c, f)
			for _, m := range envInUsage.FindAllStringSubmatch(f.Usage, -1) {
				if !slices.Contains(envOf[key], m[1]) {
					envOf[key] = append(envOf[key], m[1])
				}
			}
		})
	})

	var b strings.Builder
	b.WriteString("# Configuration reference\n\n")
	fmt.Fprintf(&b, "<!-- Generated from the code by `%s`. Do not edit: a test fails when this file and the code differ. -->\n\n", referenceCommand)
	b.WriteString("Every setting is a command-line flag; many can also be set by an environment variable. A flag\n")
	b.WriteString("given on the command line wins over its environment variable, which wins over the default.\n")
	b.WriteString("`switchboard config check` takes the flags of `serve` and checks a configuration before it is\n")
	b.WriteString("used (see [deploy.md](deploy.md)).\n\n")

	b.WriteString("## Global flags\n\nEvery command takes these.\n\n")
	writeFlagTable(&b, base, base.PersistentFlags(), envOf)

	b.WriteString("\n## Commands\n")
	walk(base, func(c *cobra.Command) {
		if c == base || (!c.Runnable() && !c.HasAvailableLocalFlags()) {
			return
		}
		fmt.Fprintf(&b, "\n### `%s`\n\n", c.CommandPath())
		if c.Short != "" {
			b.WriteString(oneLine(c.Short) + "\n\n")
		}
		if !c.HasAvailableLocalFlags() {
			b.WriteString("No flags of its own.\n")
			return
		}
		writeFlagTable(&b, c, c.LocalFlags(), envOf)
	})

	b.WriteString("\n## Environment variables\n\n| variable | sets |\n|---|---|\n")
	byEnv := map[string][]string{}
	for key, ns := range envOf {
		for _, n := range ns {
			byEnv[n] = append(byEnv[n], "`"+key+"`")
		}
	}
	for n, what := range envWithoutFlag {
		byEnv[n] = append(byEnv[n], what)
	}
	for _, n := range slices.Sorted(maps.Keys(byEnv)) {
		slices.Sort(byEnv[n])
		fmt.Fprintf(&b, "| `%s` | %s |\n", n, strings.Join(byEnv[n], ", "))
	}
	return b.String()
}

// envMention finds the variable names a help text mentions.
var envMention = regexp.MustCompile(`\bSWITCHBOARD_[A-Z0-9_]+\b`)

func writeFlagTable(b *strings.Builder, c *cobra.Command, fs *pflag.FlagSet, envOf map[string][]string) {
	b.WriteString("| flag | environment | default | description |\n|---|---|---|---|\n")
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Deprecated != "" {
			return
		}
		name := "`--" + f.Name + "`"
		if f.Shorthand != "" {
			name = "`-" + f.Shorthand + "`, " + name
		}
		if t := f.Value.Type(); t != "bool" {
			name += " " + t
		}
		var env []string
		for _, n := range envOf[flagKey(c, f)] {
			env = append(env, "`"+n+"`")
		}
		def := f.DefValue
		switch def {
		case "", "[]":
			def = ""
		default:
			def = "`" + def + "`"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", name, strings.Join(env, ", "), def, cell(f.Usage))
	})
}

// flagDefaults maps every flag of the tree (its command's path and name) to its default.
func flagDefaults(root *cobra.Command) map[string]string {
	out := map[string]string{}
	walk(root, func(c *cobra.Command) {
		visitFlags(c, func(f *pflag.Flag) { out[flagKey(c, f)] = f.DefValue })
	})
	return out
}

// visitFlags visits the flags c declares, persistent or not.
func visitFlags(c *cobra.Command, fn func(*pflag.Flag)) {
	c.Flags().VisitAll(fn)
	c.PersistentFlags().VisitAll(fn)
}

// flagKey names a flag of a command: "serve --addr"; a global flag is "--data-dir".
func flagKey(c *cobra.Command, f *pflag.Flag) string {
	path := strings.TrimPrefix(strings.TrimPrefix(c.CommandPath(), c.Root().Name()), " ")
	if c.Root().PersistentFlags().Lookup(f.Name) == f {
		path = ""
	}
	return strings.TrimSpace(path + " --" + f.Name)
}

// walk visits c and every command under it that is not hidden, in name order.
func walk(c *cobra.Command, fn func(*cobra.Command)) {
	if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
		return
	}
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

func cell(s string) string {
	return strings.ReplaceAll(oneLine(s), "|", `\|`)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
