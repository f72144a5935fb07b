// Package scripts holds the tests of this repository's own shell scripts (test.sh and the
// .ci/ setup scripts it runs): what they do on a machine that lacks what the tests need. The
// scripts themselves are run as commands; the package has no code outside its tests.
package scripts
