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
	// The reviver holding the lease acts; a standby refuses with 409.
	var errs []string
	for _, rv := range revivers {
		body, status, err := adminPost(reg, rv.Admin+path, form)
		switch {
		case err != nil:
			errs = append(errs, fmt.Sprintf("%s at %s: %v", rv.ID, rv.Admin, err))
		case status == http.StatusConflict:
			errs = append(errs, fmt.Sprintf("%s: %s", rv.ID, body))
		case status != http.StatusOK:
			return fmt.Errorf("the reviver %s refused: %d: %s", rv.ID, status, body)
		default:
			fmt.Fprintln(stdout, body)
			return nil
		}
	}
	return fmt.Errorf("no reviver acted: %s", strings.Join(errs, "; "))
}

// adminPost posts an admin action with the registry's admin token.
func adminPost(reg *registry.Registry, addrPath string, form url.Values) (string, int, error) {
	req, _ := http.NewRequest(http.MethodPost, "http://"+addrPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+reg.AdminToken())
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(body)), resp.StatusCode, nil
}
