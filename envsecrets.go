package main

// Loading IMGPROXY_* variables from secret stores at start-up, before the
// configuration table is parsed (docs/secrets.md):
//
//   - AWS Secrets Manager: IMGPROXY_ENV_AWS_SECRET_ID (+ _VERSION_ID,
//     _VERSION_STAGE, _REGION): one secret holding NAME=value lines.
//   - AWS Systems Manager Parameter Store: IMGPROXY_ENV_AWS_SSM_PARAMETERS_PATH
//     (+ _REGION): every parameter below the path becomes a variable named
//     after the rest of its path, "/" replaced by "_".
//   - Google Cloud Secret Manager: IMGPROXY_ENV_GCP_SECRET_ID (+ _VERSION_ID,
//     _PROJECT_ID, IMGPROXY_ENV_GCP_KEY): one secret holding NAME=value lines.
//
// The stores are read in that order, as imgproxy does; a later store's
// value replaces an earlier one's, and each store's settings are looked up
// with the earlier stores' values visible (a Secrets Manager secret may
// name the SSM path). The caller lets the result win over the process
// environment, and the local file (IMGPROXY_ENV_LOCAL_FILE_PATH) over
// both: imgproxy's precedence.

import (
	"context"
	"fmt"
	"strings"
	"time"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/joho/godotenv"
	"google.golang.org/api/option"

	"github.com/imgedge/imgedge/options"
)

// secretStores records the secret-store variables as the configuration
// table reads them (for -h, docs/config.md and validation); loadSecretEnv
// reads the same variables through the lookup before the table.
type secretStores struct {
	AWSSecretID, AWSSecretVersionID, AWSSecretVersionStage, AWSSecretRegion string
	SSMPath, SSMRegion                                                      string
	GCPSecretID, GCPSecretVersion, GCPProject, GCPKey                       string
}

// envSecretsDefaultRegion is the AWS region used when neither the
// _REGION variable nor the SDK's configuration (AWS_REGION) names one.
const envSecretsDefaultRegion = "us-west-1"

// envSecretsOptions are the client settings of loadSecretEnv. The zero
// value is production: the SDKs' default endpoints and credential chains.
// AWS endpoints can be overridden through the SDK's own variables
// (AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL_SSM); GCP takes
// client options.
type envSecretsOptions struct {
	gcp []option.ClientOption
}

// loadSecretEnv returns the variables held by the secret stores that the
// IMGPROXY_ENV_AWS_* / IMGPROXY_ENV_GCP_* variables (read through lookup)
// select; nil when none is selected. Errors name the variable of the store
// that failed.
func loadSecretEnv(ctx context.Context, lookup lookupFunc, opts envSecretsOptions) (map[string]string, error) {
	vars := map[string]string{}
	look := func(name string) string {
		if v, ok := vars[name]; ok {
			return strings.TrimSpace(v)
		}
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	merge := func(m map[string]string) {
		for k, v := range m {
			vars[k] = v
		}
	}
	if id := look("IMGPROXY_ENV_AWS_SECRET_ID"); id != "" {
		m, err := loadAWSSecret(ctx, id, look("IMGPROXY_ENV_AWS_SECRET_VERSION_ID"),
			look("IMGPROXY_ENV_AWS_SECRET_VERSION_STAGE"), look("IMGPROXY_ENV_AWS_SECRET_REGION"))
		if err != nil {
			return nil, options.ConfigErrorf("IMGPROXY_ENV_AWS_SECRET_ID", "%w", err)
		}
		merge(m)
	}
	if path := look("IMGPROXY_ENV_AWS_SSM_PARAMETERS_PATH"); path != "" {
		m, err := loadAWSParameters(ctx, path, look("IMGPROXY_ENV_AWS_SSM_PARAMETERS_REGION"))
		if err != nil {
			return nil, options.ConfigErrorf("IMGPROXY_ENV_AWS_SSM_PARAMETERS_PATH", "%w", err)
		}
		merge(m)
	}
	if id := look("IMGPROXY_ENV_GCP_SECRET_ID"); id != "" {
		m, err := loadGCPSecret(ctx, id, look("IMGPROXY_ENV_GCP_SECRET_VERSION_ID"),
			look("IMGPROXY_ENV_GCP_SECRET_PROJECT_ID"), look("IMGPROXY_ENV_GCP_KEY"), opts.gcp)
		if err != nil {
			return nil, options.ConfigErrorf("IMGPROXY_ENV_GCP_SECRET_ID", "%w", err)
		}
		merge(m)
	}
	if len(vars) == 0 {
		return nil, nil
	}
	return vars, nil
}

// awsConfigFor loads the SDK configuration (standard credential chain)
// with region, else the SDK's region, else envSecretsDefaultRegion.
func awsConfigFor(ctx context.Context, region string) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return cfg, fmt.Errorf("cannot load the AWS configuration: %w", err)
	}
	if region != "" {
		cfg.Region = region
	}
	if cfg.Region == "" {
		cfg.Region = envSecretsDefaultRegion
	}
	return cfg, nil
}

// loadAWSSecret reads one Secrets Manager secret (a version id wins over a
// version stage) and parses its string as NAME=value lines. A binary
// secret holds no variables.
func loadAWSSecret(ctx context.Context, id, versionID, versionStage, region string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cfg, err := awsConfigFor(ctx, region)
	if err != nil {
		return nil, err
	}
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)}
	switch {
	case versionID != "":
		in.VersionId = aws.String(versionID)
	case versionStage != "":
		in.VersionStage = aws.String(versionStage)
	}
	out, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("cannot read secret %q from AWS Secrets Manager: %w", id, err)
	}
	if out.SecretString == nil {
		return nil, nil
	}
	return parseEnvText(*out.SecretString, "AWS Secrets Manager secret")
}

// loadAWSParameters reads every text parameter below path (recursively,
// decrypting SecureStrings): "/p/IMGPROXY_KEY" → IMGPROXY_KEY and
// "/p/IMGPROXY_CLOUD_WATCH/NAMESPACE" → IMGPROXY_CLOUD_WATCH_NAMESPACE.
func loadAWSParameters(ctx context.Context, path, region string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cfg, err := awsConfigFor(ctx, region)
	if err != nil {
		return nil, err
	}
	client := ssm.NewFromConfig(cfg)
	out := map[string]string{}
	prefix := strings.TrimSuffix(path, "/") + "/"
	var token *string
	for {
		page, err := client.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{
			Path:           aws.String(path),
			Recursive:      aws.Bool(true),
			WithDecryption: aws.Bool(true),
			NextToken:      token,
		})
		if err != nil {
			return nil, fmt.Errorf("cannot read parameters below %q from AWS SSM: %w", path, err)
		}
		for _, p := range page.Parameters {
			if p.Name == nil || p.Value == nil || aws.ToString(p.DataType) != "text" {
				continue
			}
			name, ok := strings.CutPrefix(*p.Name, prefix)
			if !ok || name == "" {
				continue
			}
			out[strings.ReplaceAll(name, "/", "_")] = *p.Value
		}
		if token = page.NextToken; token == nil || *token == "" {
			return out, nil
		}
	}
}

// loadGCPSecret reads one Google Cloud Secret Manager secret version
// ("latest" by default) and parses it as NAME=value lines. key, when set,
// is a service-account JSON key; else Google's ambient credentials.
func loadGCPSecret(ctx context.Context, id, version, project, key string, extra []option.ClientOption) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if version == "" {
		version = "latest"
	}
	opts := append([]option.ClientOption(nil), extra...)
	if key != "" {
		opts = append(opts, option.WithAuthCredentialsJSON(option.ServiceAccount, []byte(key)))
	}
	client, err := secretmanager.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot create the Google Cloud Secret Manager client: %w", err)
	}
	defer client.Close()
	name := fmt.Sprintf("projects/%s/secrets/%s/versions/%s", project, id, version)
	resp, err := client.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: name})
	if err != nil {
		return nil, fmt.Errorf("cannot read %q from Google Cloud Secret Manager: %w", name, err)
	}
	if resp.GetPayload() == nil {
		return nil, fmt.Errorf("%q has no payload", name)
	}
	return parseEnvText(string(resp.GetPayload().GetData()), "Google Cloud secret")
}

// parseEnvText parses a secret holding variables in the environment-file
// syntax (the dotenv dialect of IMGPROXY_ENV_LOCAL_FILE_PATH, read with
// godotenv). source names the secret in errors; the parser's own message
// is left out because it may quote the secret's text.
func parseEnvText(text, source string) (map[string]string, error) {
	vars, err := godotenv.Unmarshal(text)
	if err != nil {
		return nil, fmt.Errorf("the %s is not in the environment-file syntax (NAME=value lines)", source)
	}
	return vars, nil
}
