package config

// ProbeConfig is the `probe:` section of .molecule-ci.yml.
type ProbeConfig struct{}
