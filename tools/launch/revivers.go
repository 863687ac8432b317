package launch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
	"github.com/gridrealm/gridrealm/tools/reviver"
)

// Revivers runs a realm's revivers, each a process of its own (`realm
// reviver --registry R --id ID`), the way realm up does: one holds the
// lease and keeps the nodes running, the other stands by. A reviver that
// dies is started again (it comes back as the standby). Their output and
// the nodes' logs are copied to one writer, each line prefixed with who
// wrote it.
type Revivers struct {
	bin, regPath, state string
	reg                 *registry.Registry
	out                 *prefixer

	mu       sync.Mutex
	procs    map[string]*exec.Cmd // by reviver id, while it runs
	stopping bool
	wg       sync.WaitGroup
	tailStop chan struct{}
}

// StartRevivers starts a process for each reviver entry of the registry at
// regPath, all sharing the state directory of the first one's data; extra
// is added to each command line.
func StartRevivers(bin, regPath string, reg *registry.Registry, out io.Writer, extra ...string) (*Revivers, error) {
	ids := reg.ByRole("", registry.RoleReviver)
	if len(ids) == 0 || ids[0].Data == "" {
		return nil, errors.New("revivers: the registry has no reviver entry with a state directory (its data)")
	}
	if err := resetLease(ids[0].Data); err != nil {
		return nil, err
	}
	rs := &Revivers{bin: bin, regPath: regPath, state: ids[0].Data, reg: reg, out: &prefixer{w: out},
		procs: map[string]*exec.Cmd{}, tailStop: make(chan struct{})}
	go tailLogs(filepath.Join(rs.state, "logs"), rs.out, rs.tailStop)
	for _, e := range ids {
		args := append([]string{"reviver", "--registry", regPath, "--id", e.ID, "--state", rs.state}, extra...)
		if err := rs.start(e.ID, args); err != nil {
			rs.Stop()
			return nil, err
		}
		rs.wg.Add(1)
		go rs.keep(e.ID, args)
	}
	return rs, nil
}

// resetLease makes sure no reviver of a state directory runs (the lease's
// holder does not answer), and lets its lease go, so that the revivers
// about to start begin the realm anew instead of waiting out a lease left
// by a machine that went down.
func resetLease(state string) error {
	l, err := reviver.ReadLease(state)
	if err != nil {
		return err
	}
	if l.Holder != "" && l.Admin != "" {
		c := http.Client{Timeout: time.Second}
		if resp, err := c.Get("http://" + l.Admin + "/healthz"); err == nil {
			resp.Body.Close()
			return fmt.Errorf("revivers: %s already runs this realm (its lease in %s; admin %s)", l.Holder, state, l.Admin)
		}
	}
	return reviver.ResetLease(state)
}

// State is the revivers' shared state directory.
func (rs *Revivers) State() string { return rs.state }

func (rs *Revivers) start(id string, args []string) error {
	cmd := exec.Command(rs.bin, args...)
	// Its own session, so that a terminal's Ctrl-C reaches only the one
	// who runs the revivers; and it hears when that one dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGTERM}
	w := &lineWriter{who: id, out: rs.out}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start reviver %s: %w", id, err)
	}
	rs.mu.Lock()
	rs.procs[id] = cmd
	rs.mu.Unlock()
	return nil
}

// keep waits for a reviver's process and starts it again when it dies,
// unless Stop stops it; one that dies 5 times in a minute is left dead.
func (rs *Revivers) keep(id string, args []string) {
	defer rs.wg.Done()
	var deaths []time.Time
	for {
		rs.mu.Lock()
		cmd := rs.procs[id]
		rs.mu.Unlock()
		err := cmd.Wait()
		rs.mu.Lock()
		stopping := rs.stopping
		delete(rs.procs, id)
		rs.mu.Unlock()
		if stopping {
			return
		}
		now := time.Now()
		deaths = append(deaths, now)
		for len(deaths) > 0 && now.Sub(deaths[0]) > time.Minute {
			deaths = deaths[1:]
		}
		if len(deaths) >= 5 {
			rs.out.line(id, fmt.Sprintf("died %d times within a minute (%v): left stopped; the other reviver carries on", len(deaths), err))
			return
		}
		rs.out.line(id, fmt.Sprintf("the reviver exited (%v): starting it again; it comes back on standby", err))
		time.Sleep(time.Second)
		if err := rs.start(id, args); err != nil {
			rs.out.line(id, err.Error())
			return
		}
	}
}

// PID returns the process id of a running reviver, or 0.
func (rs *Revivers) PID(id string) int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if c := rs.procs[id]; c != nil {
		return c.Process.Pid
	}
	return 0
}

// NodePIDs waits until every node with a restart command has a live
// process recorded in the state directory (or timeout passes), and returns
// their process ids.
func (rs *Revivers) NodePIDs(timeout time.Duration) (map[string]int, error) {
	deadline := time.Now().Add(timeout)
	for {
		pids, missing := map[string]int{}, []string{}
		for _, e := range rs.reg.Nodes {
			if len(e.Restart) == 0 {
				continue
			}
			pid, start, err := reviver.ReadPIDFile(rs.state, e.ID)
			if err != nil || !reviver.Alive(pid, start) {
				missing = append(missing, e.ID)
				continue
			}
			pids[e.ID] = pid
		}
		if len(missing) == 0 {
			return pids, nil
		}
		if time.Now().After(deadline) {
			return pids, fmt.Errorf("no running process for %s after %v", strings.Join(missing, ", "), timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the revivers (SIGTERM: the one holding the lease stops every
// node in order), waits for them, and kills any node process still left;
// the error names what had to be killed.
func (rs *Revivers) Stop() error {
	rs.mu.Lock()
	rs.stopping = true
	procs := make(map[string]*exec.Cmd, len(rs.procs))
	for id, c := range rs.procs {
		procs[id] = c
		c.Process.Signal(syscall.SIGTERM)
	}
	rs.mu.Unlock()
	var errs []error
	done := make(chan struct{})
	go func() { rs.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		for id, c := range procs {
			c.Process.Kill()
			errs = append(errs, fmt.Errorf("reviver %s did not stop within a minute: killed", id))
		}
		<-done
	}
	for _, e := range rs.reg.Nodes {
		if pid, start, err := reviver.ReadPIDFile(rs.state, e.ID); err == nil && reviver.Alive(pid, start) {
			syscall.Kill(pid, syscall.SIGKILL)
			errs = append(errs, fmt.Errorf("%s (pid %d) was still running after the revivers stopped: killed", e.ID, pid))
		}
	}
	time.Sleep(300 * time.Millisecond) // the last lines of the logs
	close(rs.tailStop)
	return errors.Join(errs...)
}

// prefixer writes lines to w, each prefixed with who wrote it, one line at
// a time.
type prefixer struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *prefixer) line(who, text string) {
	p.mu.Lock()
	fmt.Fprintf(p.w, "%-14s %s\n", who, text)
	p.mu.Unlock()
}

// lineWriter is an io.Writer that writes whole lines to a prefixer.
type lineWriter struct {
	who     string
	out     *prefixer
	partial []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.out.line(w.who, string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	return len(b), nil
}

// tailLogs copies what is appended to each ID.log file of dir to out, line
// by line with the ID as prefix, until stop; what the files held before it
// began is skipped.
func tailLogs(dir string, out *prefixer, stop <-chan struct{}) {
	offsets := map[string]int64{}
	partial := map[string]string{}
	first := true
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		for _, f := range files {
			id := strings.TrimSuffix(filepath.Base(f), ".log")
			st, err := os.Stat(f)
			if err != nil {
				continue
			}
			off, seen := offsets[f]
			if !seen && first {
				offsets[f] = st.Size()
				continue
			}
			if st.Size() < off { // truncated: from its start
				off = 0
			}
			if st.Size() == off {
				continue
			}
			b, err := readAt(f, off, st.Size()-off)
			if err != nil {
				continue
			}
			offsets[f] = off + int64(len(b))
			text := partial[id] + string(b)
			lines := strings.Split(text, "\n")
			partial[id] = lines[len(lines)-1]
			for _, l := range lines[:len(lines)-1] {
				out.line(id, l)
			}
		}
		first = false
		select {
		case <-stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func readAt(path string, off, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, min(n, 1<<20))
	m, err := f.ReadAt(b, off)
	if m > 0 {
		return b[:m], nil
	}
	return nil, err
}
