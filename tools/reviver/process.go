package reviver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
)

// process is one run of a node: a process this reviver started (cmd set),
// or one another reviver started and this one adopted when it took over.
type process struct {
	id    int
	start uint64 // its start time in clock ticks since boot (/proc/PID/stat)
	cmd   *exec.Cmd
	done  chan struct{}
	err   error
}

// launcher starts nodes: attached (the nodes die with the reviver, their
// output on out) or, with a state directory, detached (the nodes outlive
// the reviver so that a standby can adopt them; their output goes to
// state/logs/ID.log and their pid to state/ID.pid).
type launcher struct {
	state string
	out   io.Writer
	outMu sync.Mutex
}

// launch starts a node with its restart command.
func (l *launcher) launch(e registry.Entry) (*process, error) {
	cmd := exec.Command(e.Restart[0], e.Restart[1:]...)
	var pw *io.PipeWriter
	if l.state == "" {
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} // never outlive the reviver's process
		var pr *io.PipeReader
		pr, pw = io.Pipe()
		cmd.Stdout, cmd.Stderr = pw, pw
		go l.prefix(e.ID, pr)
	} else {
		// Its own session: a terminal's Ctrl-C reaches whoever runs the
		// revivers, which stops the nodes in order.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		logs := filepath.Join(l.state, "logs")
		if err := os.MkdirAll(logs, 0o755); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(filepath.Join(logs, e.ID+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		defer f.Close() // the child has its own copy
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		if pw != nil {
			pw.Close()
		}
		return nil, fmt.Errorf("start %s: %w", e.ID, err)
	}
	p := &process{id: cmd.Process.Pid, cmd: cmd, done: make(chan struct{})}
	p.start, _ = startTime(p.id)
	if l.state != "" {
		if err := writePIDFile(l.state, e.ID, p); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, err
		}
	}
	go func() {
		p.err = cmd.Wait()
		if pw != nil {
			pw.Close()
		}
		close(p.done)
	}()
	return p, nil
}

// prefix copies a node's output lines to out, each prefixed with its id.
func (l *launcher) prefix(id string, r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l.outMu.Lock()
		fmt.Fprintf(l.out, "%-14s %s\n", id, sc.Text())
		l.outMu.Unlock()
	}
}

// adopt returns the node's process recorded in the state directory when
// it still runs (started by another reviver, or by this one before it
// lost its lease), or nil.
func (l *launcher) adopt(id string, quit <-chan struct{}) *process {
	if l.state == "" {
		return nil
	}
	pid, start, err := ReadPIDFile(l.state, id)
	if err != nil || !Alive(pid, start) {
		return nil
	}
	p := &process{id: pid, start: start, done: make(chan struct{})}
	go func() { // not its parent: it cannot wait for the process, so it looks
		for Alive(pid, start) {
			select {
			case <-quit:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
		p.err = errors.New("gone from the process table (another reviver's child: no exit status)")
		close(p.done)
	}()
	return p
}

// pid returns the process id.
func (p *process) pid() int { return p.id }

// exited reports whether the process ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process unless it is gone (and its pid maybe
// reused).
func (p *process) signal(sig syscall.Signal) {
	if !p.exited() && Alive(p.id, p.start) {
		syscall.Kill(p.id, sig)
	}
}

// stop asks the process to stop (SIGTERM) and kills it after grace; it
// reports whether it had to kill.
func (p *process) stop(grace time.Duration) bool {
	p.signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return false
	case <-time.After(grace):
		p.kill()
		return true
	}
}

// kill kills the process and waits for it.
func (p *process) kill() {
	p.signal(syscall.SIGKILL)
	<-p.done
}

// PIDFile is where a detached node's process id is kept in a state
// directory.
func PIDFile(state, id string) string { return filepath.Join(state, id+".pid") }

func writePIDFile(state, id string, p *process) error {
	tmp := PIDFile(state, id) + ".tmp"
	if err := os.WriteFile(tmp, fmt.Appendf(nil, "%d %d\n", p.id, p.start), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, PIDFile(state, id))
}

// ReadPIDFile reads a node's process id and start time from a state
// directory.
func ReadPIDFile(state, id string) (pid int, start uint64, err error) {
	b, err := os.ReadFile(PIDFile(state, id))
	if err != nil {
		return 0, 0, err
	}
	if _, err := fmt.Sscanf(string(b), "%d %d", &pid, &start); err != nil {
		return 0, 0, fmt.Errorf("%s: %w", PIDFile(state, id), err)
	}
	return pid, start, nil
}

// Alive reports whether process pid runs and is the one that started at
// start (0: any); a zombie is not alive.
func Alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	st, t, ok := parseStat(b)
	return ok && st != 'Z' && st != 'X' && (start == 0 || t == start)
}

// startTime returns a process's start time in clock ticks since boot.
func startTime(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	if _, t, ok := parseStat(b); ok {
		return t, nil
	}
	return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
}

// parseStat reads the state (field 3) and start time (field 22) of a
// /proc/PID/stat line; the command name (field 2) may hold spaces, so the
// fields are counted from its closing parenthesis.
func parseStat(b []byte) (state byte, start uint64, ok bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0, 0, false
	}
	t, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil || len(f[0]) != 1 {
		return 0, 0, false
	}
	return f[0][0], t, true
}
