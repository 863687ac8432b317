package content

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/gridrealm/gridrealm/ecs"
)

// Watch reloads the content directory dir whenever a file of it (or of
// its scripts/ and maps/) changes, and calls fn with the new set or with
// the load's errors. Changes closer together than settle make one reload
// (an editor writes a file in several steps), on clock (nil: the wall
// clock). It returns when ctx ends,
// or at once when dir cannot be watched.
func Watch(ctx context.Context, clock ecs.Clock, dir string, settle time.Duration, fn func(*Set, error)) error {
	clock = ecs.OrReal(clock)
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	for _, d := range []string{dir, filepath.Join(dir, "scripts"), filepath.Join(dir, "maps")} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			if err := w.Add(d); err != nil {
				w.Close()
				return err
			}
		}
	}
	go func() {
		defer w.Close()
		var timer <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Remove|fsnotify.Rename) != 0 {
					timer = clock.After(settle)
				}
			case _, ok := <-w.Errors:
				if !ok {
					return
				}
			case <-timer:
				timer = nil
				fn(LoadDir(dir))
			}
		}
	}()
	return nil
}
