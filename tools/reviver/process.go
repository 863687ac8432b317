package reviver

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/gridrealm/gridrealm/net/registry"
)

// process is one run of a node.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// launch starts a node with its restart command, its output lines
// prefixed with its id on out (under outMu).
func launch(e registry.Entry, out io.Writer, outMu *sync.Mutex) (*process, error) {
	cmd := exec.Command(e.Restart[0], e.Restart[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} // never outlive the reviver's process
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		pw.Close()
		return nil, fmt.Errorf("start %s: %w", e.ID, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			outMu.Lock()
			fmt.Fprintf(out, "%-14s %s\n", e.ID, sc.Text())
			outMu.Unlock()
		}
	}()
	go func() {
		p.err = cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	return p, nil
}

// pid returns the process id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to stop (SIGTERM) and kills it after grace; it
// reports whether it had to kill.
func (p *process) stop(grace time.Duration) bool {
	p.cmd.Process.Signal(syscall.SIGTERM)
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
	p.cmd.Process.Kill()
	<-p.done
}
