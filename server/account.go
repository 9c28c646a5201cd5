package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/apoportal/apoportal/data"
	"github.com/apoportal/apoportal/data/sqlite"
)

const accountUsage = `usage:
  apoportal account create-operator [--db FILE] LOGIN          prints a one-time activation code
  apoportal account create-pharmacy [--db FILE] PHARMACY_ID LOGIN   prints a one-time activation code
  apoportal account disable [--db FILE] LOGIN
  apoportal account token [--db FILE] PHARMACY_ID               prints a new API token once`

// accountCommand manages accounts from the shell. Codes and tokens are printed once and
// stored only as hashes.
func accountCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return usageError{accountUsage}
	}
	action := args[0]
	cfg := DefaultConfig()
	f := newEnvFlags("account "+action, stderr, getenv)
	f.storeFlags(&cfg)
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	want := map[string]int{"create-operator": 1, "create-pharmacy": 2, "disable": 1, "token": 1}
	n, known := want[action]
	if !known || f.fs.NArg() != n {
		return usageError{accountUsage}
	}
	db, err := sqlite.Open(ctx, cfg.DB, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	actor := data.Actor{Name: "cli", Source: "cli"}
	arg := f.fs.Arg
	switch action {
	case "create-operator", "create-pharmacy":
		role, login, pharmacy := data.RoleOperator, arg(0), ""
		if action == "create-pharmacy" {
			role, pharmacy, login = data.RolePharmacy, arg(0), arg(1)
		}
		acc, code, err := db.CreateAccount(ctx, role, login, pharmacy, actor)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s account %q (id %d)\nactivation code (shown once, valid %d days): %s\n",
			acc.Role, acc.Login, acc.ID, int(sqlite.ActivationValidity.Hours()/24), code)
	case "disable":
		if err := db.DisableAccount(ctx, arg(0), actor); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "disabled account %q\n", arg(0))
	case "token":
		id, token, err := db.CreateAPIToken(ctx, arg(0), actor)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "API token %s for pharmacy %s (shown once): %s\n", strconv.FormatInt(id, 10), arg(0), token)
	}
	return nil
}
