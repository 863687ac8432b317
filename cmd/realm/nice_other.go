//go:build !linux

package main

import "errors"

func renice(n int) error { return errors.New("--nice needs Linux") }
