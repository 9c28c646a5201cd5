package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/apoportal/apoportal/data"
)

const accountUsage = `usage:
  apoportal account create-operator [--db FILE] LOGIN          prints a one-time activation code
  apoportal account create-pharmacy [--db FILE] PHARMACY_ID LOGIN   prints a one-time activation code
  apoportal account disable [--db FILE] LOGIN
  apoportal account token [--db FILE] PHARMACY_ID               prints a new API token once
  apoportal account tokens [--db FILE] PHARMACY_ID              lists the pharmacy's tokens and their last use
  apoportal account revoke-token [--db FILE] PHARMACY_ID TOKEN_ID`

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
	want := map[string]int{"create-operator": 1, "create-pharmacy": 2, "disable": 1, "token": 1, "tokens": 1, "revoke-token": 2}
	n, known := want[action]
	if !known || f.fs.NArg() != n {
		return usageError{accountUsage}
	}
	db, err := openStore(ctx, cfg.DB, nil)
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
			acc.Role, acc.Login, acc.ID, int(data.ActivationValidity.Hours()/24), code)
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
	case "tokens":
		return listTokens(ctx, db, arg(0), stdout)
	case "revoke-token":
		id, err := strconv.ParseInt(arg(1), 10, 64)
		if err != nil {
			return usageError{fmt.Sprintf("TOKEN_ID %q is not a number\n%s", arg(1), accountUsage)}
		}
		if err := db.RevokeAPIToken(ctx, arg(0), id, actor); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked API token %d of pharmacy %s\n", id, arg(0))
	}
	return nil
}

// listTokens prints a pharmacy's tokens, one a line: id, state, made, by whom, last use.
func listTokens(ctx context.Context, db data.Store, pharmacyID string, stdout io.Writer) error {
	if _, err := db.Pharmacy(ctx, pharmacyID); err != nil {
		return err
	}
	tokens, err := db.APITokens(ctx, pharmacyID)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSTATE\tCREATED\tBY\tLAST USED\tFROM")
	for _, t := range tokens {
		state, used, by := "live", "never", t.CreatedBy
		if t.RevokedAt != nil {
			state = "revoked " + t.RevokedAt.UTC().Format(time.RFC3339)
		}
		if t.LastUsedAt != nil {
			used = t.LastUsedAt.UTC().Format(time.RFC3339)
		}
		if by == "" {
			by = "operator"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, state, t.CreatedAt.UTC().Format(time.RFC3339), by, used, t.LastUsedFrom)
	}
	return w.Flush()
}
