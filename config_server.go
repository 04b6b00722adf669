package main

// The Server section of the configuration table: the listener, request
// timeouts, the worker pool, outgoing requests and process behaviour.

import (
	"net"
	"runtime"
	"strconv"
	"strings"

	"github.com/imgedge/imgedge/fetch"
	"github.com/imgedge/imgedge/options"
)

// defaultWorkers is one worker per CPU core. imgproxy uses two per core
// because its workers also wait for downloads; imgedge's download stage
// keeps them off the workers, and a second worker per core then only
// shares the same core (docs/tuning.md, "Concurrency").
func defaultWorkers() string { return strconv.Itoa(runtime.NumCPU()) }

func serverSection(c *config) section {
	e, f, p := &c.Edge, &c.Fetch, &c.Parser
	return section{
		title: "Server",
		rows: []envVar{
			{name: "IMGPROXY_BIND", def: ":8080", defDoc: "`:8080` (or `:$PORT` when `PORT` is set)",
				help: "Listen address `host:port`, or a socket path with `IMGPROXY_NETWORK=unix`. Port `0` picks a free port; the chosen address is logged (`msg=listening addr=...`).",
				set:  setString(&c.Bind)},
			{name: "IMGPROXY_NETWORK", def: "tcp",
				help: "Listener network: `tcp`, `tcp4`, `tcp6` or `unix`.",
				set:  setOneOf(&c.Network, "tcp", "tcp4", "tcp6", "unix")},
			{name: "IMGPROXY_PATH_PREFIX",
				help: "Prefix of every route (also `/health`), e.g. `/img`: a leading `/` and no trailing `/`.",
				set:  setString(&p.PathPrefix)},
			{name: "IMGPROXY_TIMEOUT", def: "10", aliases: deprecated("IMGPROXY_WRITE_TIMEOUT"),
				help: "Seconds a processing request may take in all (queue wait, download, processing); on expiry 503.",
				set:  setSeconds(&e.RequestTimeout, true)},
			{name: "IMGPROXY_READ_REQUEST_TIMEOUT", def: "10", aliases: deprecated("IMGPROXY_READ_TIMEOUT"),
				help: "Seconds to read a whole incoming request.",
				set:  setSeconds(&e.ReadRequestTimeout, true)},
			{name: "IMGPROXY_WRITE_RESPONSE_TIMEOUT", def: "10",
				help: "Seconds to write a response.",
				set:  setSeconds(&e.WriteResponseTimeout, true)},
			{name: "IMGPROXY_KEEP_ALIVE_TIMEOUT", def: "10",
				help: "Seconds an idle client connection is kept open; `0` disables keep-alive.",
				set:  setSeconds(&e.KeepAliveTimeout, false)},
			{name: "IMGPROXY_CLIENT_KEEP_ALIVE_TIMEOUT", def: "90",
				help: "Seconds an idle connection to an origin stays pooled; `0` disables origin keep-alive.",
				set:  setSeconds(&f.ClientKeepAliveTimeout, false)},
			{name: "IMGPROXY_DOWNLOAD_TIMEOUT", def: "5",
				help: "Seconds to fetch a source image; on expiry 504.",
				set:  setSeconds(&f.DownloadTimeout, true)},
			{name: "IMGPROXY_GRACEFUL_STOP_TIMEOUT", def: "20",
				help: "Seconds in-flight requests get to finish after SIGTERM/SIGINT (health answers 503 meanwhile).",
				set:  setSeconds(&c.GracefulStop, false)},
			{name: "IMGPROXY_CONCURRENCY", defFunc: defaultWorkers, defDoc: "CPU cores",
				aliases: []alias{{name: "IMGPROXY_WORKERS"}},
				help:    "Images processed at once (the worker pool size); other requests wait in the queue.",
				set:     setInt(&c.Workers.Workers, 1, 1<<16)},
			{name: "IMGPROXY_REQUESTS_QUEUE_SIZE", def: "0",
				help: "Requests that may wait for a worker; more get 429 at once. `0` = unbounded (waiting is limited by `IMGPROXY_TIMEOUT`).",
				set:  setInt(&c.Workers.QueueSize, 0, 1<<30)},
			{name: "IMGPROXY_MAX_CLIENTS", def: "2048",
				help: "Simultaneous client connections; `0` = unlimited.",
				set:  setInt(&e.MaxClients, 0, 1<<30)},
			{name: "IMGPROXY_SO_REUSEPORT", def: "false",
				help: "Set `SO_REUSEPORT` on the listener so several processes can share the port.",
				set:  setBool(&c.ReusePort)},
			{name: "IMGPROXY_USER_AGENT", def: fetch.DefaultUserAgent,
				help: "User-Agent of source requests; `%current_version` is replaced by the version.",
				set:  setString(&f.UserAgent)},
			{name: "IMGPROXY_MAX_REDIRECTS", def: "10",
				help: "Redirects followed when fetching a source; `0` follows none.",
				set:  setInt(&f.MaxRedirects, 0, 1000)},
			{name: "IMGPROXY_IGNORE_SSL_VERIFICATION", def: "false",
				help: "Skip TLS certificate checks of HTTPS sources (development only).",
				set:  setBool(&f.IgnoreSSLVerification)},
			{name: "IMGPROXY_ALLOW_ORIGIN",
				help: "When set, CORS headers with this origin on GET, HEAD and OPTIONS.",
				set:  setString(&e.AllowOrigin)},
			{name: "IMGPROXY_SECRET", secret: true,
				help: "When set, processing requests need `Authorization: Bearer <secret>`, else 403.",
				set:  setString(&e.Secret)},
			{name: "IMGPROXY_FREE_MEMORY_INTERVAL", def: "10",
				help: "Seconds between returns of freed memory to the OS; `0` disables.",
				set:  setSeconds(&c.FreeMemoryInterval, false)},
			{name: "IMGPROXY_FAIL_ON_DEPRECATION", def: "false",
				help: "Refuse to start when a deprecated variable name (listed as \"deprecated\" below) is used.",
				set:  setBool(&c.FailOnDeprecation)},
			{name: "IMGPROXY_ENV_LOCAL_FILE_PATH",
				help: "Environment file (dotenv syntax, see below) read before all other variables; a variable in the file wins over the process environment, as in imgproxy.",
				set:  setString(&c.EnvFile)},
			{name: "IMGPROXY_ENV_AWS_SECRET_ID",
				help: "AWS Secrets Manager secret (name or ARN) holding variables in the environment-file syntax, read at start-up (docs/secrets.md). Stores win over the process environment; the local file wins over stores.",
				set:  setString(&c.Secrets.AWSSecretID)},
			{name: "IMGPROXY_ENV_AWS_SECRET_VERSION_ID",
				help: "Version id of that secret (wins over the stage).",
				set:  setString(&c.Secrets.AWSSecretVersionID)},
			{name: "IMGPROXY_ENV_AWS_SECRET_VERSION_STAGE",
				help: "Staging label of that secret's version.",
				set:  setString(&c.Secrets.AWSSecretVersionStage)},
			{name: "IMGPROXY_ENV_AWS_SECRET_REGION", defDoc: "`AWS_REGION`, else `us-west-1`",
				help: "Region of that secret.",
				set:  setString(&c.Secrets.AWSSecretRegion)},
			{name: "IMGPROXY_ENV_AWS_SSM_PARAMETERS_PATH",
				help: "AWS Systems Manager Parameter Store path: each text parameter below it sets the variable named after the rest of its path (`/` → `_`).",
				set:  setString(&c.Secrets.SSMPath)},
			{name: "IMGPROXY_ENV_AWS_SSM_PARAMETERS_REGION", defDoc: "`AWS_REGION`, else `us-west-1`",
				help: "Region of those parameters.",
				set:  setString(&c.Secrets.SSMRegion)},
			{name: "IMGPROXY_ENV_GCP_SECRET_ID",
				help: "Google Cloud Secret Manager secret holding variables in the environment-file syntax, read at start-up after the AWS stores.",
				set:  setString(&c.Secrets.GCPSecretID)},
			{name: "IMGPROXY_ENV_GCP_SECRET_VERSION_ID", defDoc: "`latest`",
				help: "Version of that secret.",
				set:  setString(&c.Secrets.GCPSecretVersion)},
			{name: "IMGPROXY_ENV_GCP_SECRET_PROJECT_ID",
				help: "Google Cloud project of that secret.",
				set:  setString(&c.Secrets.GCPProject)},
			{name: "IMGPROXY_ENV_GCP_KEY", secret: true,
				help: "Service-account JSON key for Secret Manager; empty = ambient Google credentials.",
				set:  setString(&c.Secrets.GCPKey)},
		},
		resolve: func(lookup lookupFunc) error {
			// PORT: the platform convention (Heroku, Cloud Run) when IMGPROXY_BIND is unset.
			if v, ok := lookup("IMGPROXY_BIND"); ok && strings.TrimSpace(v) != "" {
				return nil
			}
			if port, ok := lookup("PORT"); ok && strings.TrimSpace(port) != "" {
				port = strings.TrimSpace(port)
				if _, err := parseInt(port, 0, 65535); err != nil {
					return options.ConfigErrorf("PORT", "%w", err)
				}
				c.Bind = ":" + port
			}
			return nil
		},
		validate: func() error {
			if c.Network == "unix" {
				return nil
			}
			if _, _, err := net.SplitHostPort(c.Bind); err != nil {
				return options.ConfigErrorf("IMGPROXY_BIND", "%q is not host:port (for a socket path set IMGPROXY_NETWORK=unix)", c.Bind)
			}
			return nil
		},
	}
}
