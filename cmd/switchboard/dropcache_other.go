//go:build !linux

package main

import "errors"

func dropCache(string) error {
	return errors.New("dropping a file from the page cache needs Linux")
}
