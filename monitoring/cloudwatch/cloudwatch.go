// Package cloudwatch sends imgproxy's gauges to Amazon CloudWatch with
// PutMetricData every interval (IMGPROXY_CLOUD_WATCH_*,
// docs/monitoring.md#cloudwatch): Workers, RequestsInProgress,
// ImagesInProgress, ConcurrencyUtilization, WorkersUtilization, VipsMemory,
// VipsMaxMemory and VipsAllocs, each with the dimension ServiceName. The
// client uses the standard AWS credential chain and honours
// AWS_ENDPOINT_URL_CLOUDWATCH.
package cloudwatch

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/imgedge/imgedge/monitoring"
	"github.com/imgedge/imgedge/options"
)

// Config configures the sender. The comments name the variable main reads
// for each field.
type Config struct {
	// ServiceName enables CloudWatch and is the ServiceName dimension
	// (IMGPROXY_CLOUD_WATCH_SERVICE_NAME; empty = off).
	ServiceName string
	// Namespace of the metrics (IMGPROXY_CLOUD_WATCH_NAMESPACE, default imgproxy).
	Namespace string
	// Region (IMGPROXY_CLOUD_WATCH_REGION); empty = AWS_REGION, else us-west-1.
	Region string
	// Interval between sends (10 s, as imgproxy).
	Interval time.Duration
}

// DefaultConfig returns imgproxy's defaults (off).
func DefaultConfig() Config {
	return Config{Namespace: "imgproxy", Interval: 10 * time.Second}
}

// Validate checks c (only when enabled).
func (c *Config) Validate() error {
	if c.ServiceName == "" {
		return nil
	}
	if c.Namespace == "" {
		return options.ConfigErrorf("IMGPROXY_CLOUD_WATCH_NAMESPACE", "must not be empty")
	}
	if c.Interval <= 0 {
		return options.ConfigErrorf("cloudwatch.Config.Interval", "must be > 0; got %s", c.Interval)
	}
	return nil
}

// Sender puts the metrics periodically until Stop. Build it with New.
type Sender struct {
	cfg    Config
	client *cloudwatch.Client
	stats  monitoring.StatsFunc
	cancel context.CancelFunc
	done   chan struct{}
}

// New loads the AWS configuration and starts sending; nil and no error
// when cfg.ServiceName is empty.
func New(ctx context.Context, cfg Config, stats monitoring.StatsFunc) (*Sender, error) {
	if cfg.ServiceName == "" {
		return nil, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, options.ConfigErrorf("IMGPROXY_CLOUD_WATCH_SERVICE_NAME", "cannot load the AWS configuration: %w", err)
	}
	if cfg.Region != "" {
		awsCfg.Region = cfg.Region
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-west-1"
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s := &Sender{cfg: cfg, client: cloudwatch.NewFromConfig(awsCfg), stats: stats, cancel: cancel, done: make(chan struct{})}
	go s.run(runCtx)
	return s, nil
}

func (s *Sender) run(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := s.put(ctx); err != nil && ctx.Err() == nil {
				slog.Warn("cannot send CloudWatch metrics", "error", err)
			}
		case <-ctx.Done():
			return
		}
	}
}

// put sends one sample.
func (s *Sender) put(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := s.client.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace:  aws.String(s.cfg.Namespace),
		MetricData: Data(s.cfg.ServiceName, s.stats()),
	})
	return err
}

// Data is one sample as CloudWatch data points, named as imgproxy names
// them (ConcurrencyUtilization is the older name of WorkersUtilization;
// both are sent).
func Data(service string, st monitoring.Snapshot) []types.MetricDatum {
	dims := []types.Dimension{{Name: aws.String("ServiceName"), Value: aws.String(service)}}
	d := func(name string, unit types.StandardUnit, v float64) types.MetricDatum {
		return types.MetricDatum{MetricName: aws.String(name), Dimensions: dims, Unit: unit, Value: aws.Float64(v)}
	}
	util := st.WorkersUtilization()
	return []types.MetricDatum{
		d("Workers", types.StandardUnitCount, float64(st.Workers)),
		d("RequestsInProgress", types.StandardUnitCount, st.RequestsInProgress),
		d("ImagesInProgress", types.StandardUnitCount, st.ImagesInProgress),
		d("ConcurrencyUtilization", types.StandardUnitPercent, util),
		d("WorkersUtilization", types.StandardUnitPercent, util),
		d("VipsMemory", types.StandardUnitBytes, st.VipsMemory),
		d("VipsMaxMemory", types.StandardUnitBytes, st.VipsMaxMemory),
		d("VipsAllocs", types.StandardUnitCount, st.VipsAllocs),
	}
}

// Stop ends the sending loop and waits for it (at most until ctx is done).
func (s *Sender) Stop(ctx context.Context) {
	s.cancel()
	select {
	case <-s.done:
	case <-ctx.Done():
	}
}
