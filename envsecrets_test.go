package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// TestParseEnvText: secrets use the environment-file syntax; a secret that
// is not in it is refused without quoting its text.
func TestParseEnvText(t *testing.T) {
	got, err := parseEnvText("# comment\nexport IMGPROXY_KEY=abc\nIMGPROXY_SALT='d e f' # note\nA=\"x\\ny\"\n", "test secret")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"IMGPROXY_KEY": "abc", "IMGPROXY_SALT": "d e f", "A": "x\ny"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q; want %q", got, want)
	}
	_, err = parseEnvText("IMGPROXY_KEY=\"topsecret-unterminated", "the secret")
	if err == nil || !strings.Contains(err.Error(), "the secret") || strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("got %v; want an error naming the secret without its text", err)
	}
}

// awsJSONServer answers AWS JSON 1.1 calls (Secrets Manager, SSM) on
// loopback: handle gets the X-Amz-Target and the decoded body and returns
// the response object or an error type.
func awsJSONServer(t *testing.T, handle func(target string, in map[string]any) (any, string)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		out, errType := handle(r.Header.Get("X-Amz-Target"), in)
		if errType != "" {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"__type": errType, "message": "fake " + errType})
			return
		}
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// isolateAWS gives the SDK static credentials and no shared files or IMDS,
// so nothing leaves loopback.
func isolateAWS(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "test-key", "AWS_SECRET_ACCESS_KEY": "test-secret", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_REGION": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
	} {
		t.Setenv(k, v)
	}
}

// fakeSecretManager implements Google Cloud Secret Manager's
// AccessSecretVersion over gRPC.
type fakeSecretManager struct {
	secretmanagerpb.UnimplementedSecretManagerServiceServer
	secrets map[string]string // full version name → payload
	mu      sync.Mutex
	asked   []string
}

func (f *fakeSecretManager) AccessSecretVersion(_ context.Context, req *secretmanagerpb.AccessSecretVersionRequest) (*secretmanagerpb.AccessSecretVersionResponse, error) {
	f.mu.Lock()
	f.asked = append(f.asked, req.GetName())
	f.mu.Unlock()
	data, ok := f.secrets[req.GetName()]
	if !ok {
		return nil, status.Error(codes.NotFound, "no such secret version")
	}
	return &secretmanagerpb.AccessSecretVersionResponse{Name: req.GetName(), Payload: &secretmanagerpb.SecretPayload{Data: []byte(data)}}, nil
}

// startFakeSecretManager serves f on 127.0.0.1 and returns the client
// options that point the real client at it.
func startFakeSecretManager(t *testing.T, f *fakeSecretManager) []option.ClientOption {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	secretmanagerpb.RegisterSecretManagerServiceServer(srv, f)
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return []option.ClientOption{
		option.WithEndpoint(ln.Addr().String()),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
}

// TestLoadSecretEnv runs all three stores against loopback fakes through
// the real SDK clients: the AWS secret names the SSM path (lookups see
// earlier stores), later stores win, SSM pages are followed and nested
// paths flattened.
func TestLoadSecretEnv(t *testing.T) {
	isolateAWS(t)
	var mu sync.Mutex
	var calls []string
	sm := awsJSONServer(t, func(target string, in map[string]any) (any, string) {
		mu.Lock()
		calls = append(calls, target+" "+in["SecretId"].(string)+" "+str(in["VersionStage"]))
		mu.Unlock()
		if target != "secretsmanager.GetSecretValue" || in["SecretId"] != "imgproxy/prod" {
			return nil, "ResourceNotFoundException"
		}
		return map[string]any{"Name": "imgproxy/prod", "SecretString": "IMGPROXY_KEY=from-aws\nIMGPROXY_SALT=aws-salt\n" +
			"IMGPROXY_ENV_AWS_SSM_PARAMETERS_PATH=/imgproxy/prod\n"}, ""
	})
	ssmSrv := awsJSONServer(t, func(target string, in map[string]any) (any, string) {
		mu.Lock()
		calls = append(calls, target+" "+str(in["Path"])+" recursive="+str(in["Recursive"])+" decrypt="+str(in["WithDecryption"]))
		mu.Unlock()
		if in["NextToken"] == nil {
			return map[string]any{"NextToken": "page2", "Parameters": []map[string]any{
				{"Name": "/imgproxy/prod/IMGPROXY_SALT", "Value": "ssm-salt", "Type": "SecureString", "DataType": "text"},
				{"Name": "/imgproxy/prod/AMI", "Value": "ami-1", "Type": "String", "DataType": "aws:ec2:image"},
			}}, ""
		}
		return map[string]any{"Parameters": []map[string]any{
			{"Name": "/imgproxy/prod/IMGPROXY_CLOUD_WATCH/NAMESPACE", "Value": "imgs", "Type": "String", "DataType": "text"},
			{"Name": "/imgproxy/prod/IMGPROXY_TTL", "Value": "60", "Type": "String", "DataType": "text"},
		}}, ""
	})
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", sm.URL)
	t.Setenv("AWS_ENDPOINT_URL_SSM", ssmSrv.URL)
	gcp := &fakeSecretManager{secrets: map[string]string{
		"projects/img-project/secrets/imgproxy/versions/latest": "IMGPROXY_TTL=120\n",
		"projects/img-project/secrets/imgproxy/versions/7":      "IMGPROXY_TTL=7\n",
	}}
	gopts := envSecretsOptions{gcp: startFakeSecretManager(t, gcp)}

	env := map[string]string{
		"IMGPROXY_ENV_AWS_SECRET_ID":            "imgproxy/prod",
		"IMGPROXY_ENV_AWS_SECRET_VERSION_STAGE": "AWSCURRENT",
		"IMGPROXY_ENV_GCP_SECRET_ID":            "imgproxy",
		"IMGPROXY_ENV_GCP_SECRET_PROJECT_ID":    "img-project",
	}
	got, err := loadSecretEnv(context.Background(), mapLookup(env), gopts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"IMGPROXY_KEY":                         "from-aws",
		"IMGPROXY_SALT":                        "ssm-salt", // SSM after Secrets Manager
		"IMGPROXY_ENV_AWS_SSM_PARAMETERS_PATH": "/imgproxy/prod",
		"IMGPROXY_CLOUD_WATCH_NAMESPACE":       "imgs",
		"IMGPROXY_TTL":                         "120", // GCP last
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q;\nwant %q", got, want)
	}
	wantCalls := []string{
		"secretsmanager.GetSecretValue imgproxy/prod AWSCURRENT",
		"AmazonSSM.GetParametersByPath /imgproxy/prod recursive=true decrypt=true",
		"AmazonSSM.GetParametersByPath /imgproxy/prod recursive=true decrypt=true",
	}
	if !reflect.DeepEqual(calls, wantCalls) {
		t.Fatalf("got AWS calls %q;\nwant %q", calls, wantCalls)
	}

	// A version id selects the GCP version; nothing selected = nothing loaded.
	got, err = loadSecretEnv(context.Background(), mapLookup(map[string]string{
		"IMGPROXY_ENV_GCP_SECRET_ID": "imgproxy", "IMGPROXY_ENV_GCP_SECRET_PROJECT_ID": "img-project",
		"IMGPROXY_ENV_GCP_SECRET_VERSION_ID": "7"}), gopts)
	if err != nil || got["IMGPROXY_TTL"] != "7" {
		t.Fatalf("GCP version 7: got %q, %v; want IMGPROXY_TTL=7", got, err)
	}
	if got, err := loadSecretEnv(context.Background(), mapLookup(nil), gopts); got != nil || err != nil {
		t.Fatalf("no store selected: got %q, %v; want nothing", got, err)
	}

	// Failures name the variable that selected the store.
	for name, env := range map[string]map[string]string{
		"IMGPROXY_ENV_AWS_SECRET_ID": {"IMGPROXY_ENV_AWS_SECRET_ID": "missing"},
		"IMGPROXY_ENV_GCP_SECRET_ID": {"IMGPROXY_ENV_GCP_SECRET_ID": "missing", "IMGPROXY_ENV_GCP_SECRET_PROJECT_ID": "p"},
	} {
		if _, err := loadSecretEnv(context.Background(), mapLookup(env), gopts); err == nil || !strings.HasPrefix(err.Error(), name+":") {
			t.Errorf("missing secret: got %v; want an error starting with %s", err, name)
		}
	}
}

// str renders a decoded JSON value for the call log ("" for nil).
func str(v any) string {
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}
