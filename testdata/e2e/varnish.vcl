vcl 4.1;

# Varnish in front of imgedge, used by e2e_varnish_test.go. The test fills
# in the double-brace placeholders: the ports of the two imgedge processes it
# starts on 127.0.0.1 and the TTL given to errors that carry no
# Cache-Control. The rules are what a production CDN config would do:
# honour imgedge's Cache-Control, keep expired objects for revalidation
# with their ETag, and cache uncacheable-looking errors only briefly.

backend long {
    .host = "127.0.0.1";
    .port = "{{LONG_PORT}}";
}

# Same images, IMGPROXY_PATH_PREFIX=/short and a TTL of a few seconds, so
# that the test can watch objects expire and be revalidated.
backend short {
    .host = "127.0.0.1";
    .port = "{{SHORT_PORT}}";
}

sub vcl_recv {
    if (req.url ~ "^/short/") {
        set req.backend_hint = short;
    } else {
        set req.backend_hint = long;
    }
    unset req.http.Cookie;
    unset req.http.Authorization;
}

sub vcl_backend_response {
    if (beresp.status >= 400) {
        # imgedge sends no Cache-Control on errors: cache them for the
        # short error TTL only, and never serve them stale.
        if (!beresp.http.Cache-Control) {
            set beresp.ttl = {{ERROR_TTL}}s;
        }
        set beresp.grace = 0s;
        set beresp.keep = 0s;
        return (deliver);
    }
    # Nothing is served stale; an expired object is kept so that the next
    # request revalidates it with imgedge (If-None-Match: <stored ETag>).
    set beresp.grace = 0s;
    set beresp.keep = 1h;
    unset beresp.http.X-Revalidated;
    if (beresp.was_304) {
        set beresp.http.X-Revalidated = "1";
    }
    return (deliver);
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
