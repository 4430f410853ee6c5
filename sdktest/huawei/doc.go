// Package huawei drives the real Huawei Cloud Go SDK (services/secmaster/v1) against a running
// Switchboard. It is its own module so the SDK's dependency graph stays out of the main go.mod.
package huawei
