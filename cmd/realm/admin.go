package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
)

// runAdmin runs an operator's action against a running realm, with the
// admin token of its registry:
//
//	realm admin restart --registry R --in 5m --reason TEXT   schedule a restart with a countdown
//	realm admin restart --registry R --cancel                cancel it
func runAdmin(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "restart" {
		return fmt.Errorf("%w: realm admin restart --registry R (--in 5m --reason TEXT | --cancel)", errUsage)
	}
	fs := flag.NewFlagSet("realm admin restart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	regFile := fs.String("registry", "", "the realm's registry (its reviver's address and the admin token)")
	in := fs.Duration("in", 5*time.Minute, "when the realm restarts; players are told before")
	reason := fs.String("reason", "", "what players are told the restart is for")
	cancel := fs.Bool("cancel", false, "cancel the scheduled restart")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *regFile == "" {
		return fmt.Errorf("%w: realm admin restart needs --registry", errUsage)
	}
	reg, err := registry.Load(*regFile)
	if err != nil {
		return err
	}
	revivers := reg.ByRole("", registry.RoleReviver)
	if len(revivers) == 0 || revivers[0].Admin == "" {
		return fmt.Errorf("registry %s has no reviver with an admin address", *regFile)
	}
	path, form := "/restart", url.Values{"in": {in.String()}, "reason": {*reason}}
	if *cancel {
		path, form = "/restart/cancel", url.Values{}
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+revivers[0].Admin+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+reg.AdminToken())
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("the reviver at %s: %w", revivers[0].Admin, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the reviver refused: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprint(stdout, string(body))
	return nil
}
