package agones

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

// Lifecycle is what a game server tells its orchestrator.
type Lifecycle interface {
	// Ready: the server takes players (its map is loaded).
	Ready(ctx context.Context) error
	// Health: the server is alive; sent at least every few seconds, or
	// Agones marks it Unhealthy and replaces it.
	Health(ctx context.Context) error
	// Shutdown: the server is draining and may be deleted.
	Shutdown(ctx context.Context) error
	// Allocate: the server took a game session on its own.
	Allocate(ctx context.Context) error
	// SetLabel sets a label on the GameServer object (Agones prefixes the
	// key with "agones.dev/sdk-").
	SetLabel(ctx context.Context, key, value string) error
}

// None is the Lifecycle of a server without an orchestrator.
type None struct{}

func (None) Ready(context.Context) error                    { return nil }
func (None) Health(context.Context) error                   { return nil }
func (None) Shutdown(context.Context) error                 { return nil }
func (None) Allocate(context.Context) error                 { return nil }
func (None) SetLabel(context.Context, string, string) error { return nil }

// PortEnv is the environment variable in which Agones gives the sidecar's
// REST port to the game server's container.
const PortEnv = "AGONES_SDK_HTTP_PORT"

// FromEnv returns an SDK client when the process runs under Agones
// (PortEnv is set), else None.
func FromEnv() (Lifecycle, error) {
	v := os.Getenv(PortEnv)
	if v == "" {
		return None{}, nil
	}
	port, err := strconv.Atoi(v)
	if err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("agones: %s=%q is not a port", PortEnv, v)
	}
	return New(fmt.Sprintf("http://localhost:%d", port)), nil
}

// SDK is a client of the Agones SDK sidecar's REST API.
type SDK struct {
	base   string
	client *http.Client
	// Retry is the pause between two tries of a call the sidecar did not
	// answer (it may start after the game server); calls retry until
	// their context ends.
	Retry time.Duration
}

// New returns a client of the sidecar at base (e.g. http://localhost:9358).
func New(base string) *SDK {
	return &SDK{base: base, client: &http.Client{Timeout: 5 * time.Second}, Retry: 250 * time.Millisecond}
}

// ErrRefused: the sidecar answered a call with an error status.
var ErrRefused = errors.New("agones: the SDK sidecar refused the call")

func (s *SDK) Ready(ctx context.Context) error {
	return s.call(ctx, http.MethodPost, "/ready", struct{}{})
}
func (s *SDK) Health(ctx context.Context) error {
	return s.call(ctx, http.MethodPost, "/health", struct{}{})
}
func (s *SDK) Shutdown(ctx context.Context) error {
	return s.call(ctx, http.MethodPost, "/shutdown", struct{}{})
}
func (s *SDK) Allocate(ctx context.Context) error {
	return s.call(ctx, http.MethodPost, "/allocate", struct{}{})
}

// SetLabel sets a label on the GameServer.
func (s *SDK) SetLabel(ctx context.Context, key, value string) error {
	return s.call(ctx, http.MethodPut, "/metadata/label", map[string]string{"key": key, "value": value})
}

// call sends one request, trying again while the sidecar cannot be reached
// or answers 5xx; a 4xx is final.
func (s *SDK) call(ctx context.Context, method, path string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	for {
		err := s.once(ctx, method, path, b)
		if err == nil || errors.Is(err, ErrRefused) && !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("agones %s: %w (last: %v)", path, ctx.Err(), err)
		case <-time.After(s.Retry):
		}
	}
}

type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string { return fmt.Sprintf("status %d: %s", e.code, e.body) }
func (e *statusError) Unwrap() error { return ErrRefused }

func retryable(err error) bool {
	var se *statusError
	return errors.As(err, &se) && se.code >= 500
}

func (s *SDK) once(ctx context.Context, method, path string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("agones %s: %w", path, &statusError{code: resp.StatusCode, body: string(bytes.TrimSpace(msg))})
	}
	return nil
}

// KeepHealthy sends Health every period while alive reports true, until
// ctx ends. A server whose loop stalls stops sending, and Agones replaces
// it once its health threshold passes.
func KeepHealthy(ctx context.Context, l Lifecycle, period time.Duration, alive func() bool) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if alive() {
			hctx, cancel := context.WithTimeout(ctx, period)
			l.Health(hctx) // a missed ping is retried at the next period
			cancel()
		}
	}
}
