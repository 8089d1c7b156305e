# Agent config of region "global" in the container lab (docker-compose.yml).
# The authoritative region. Its ACLs are bootstrapped by the lab-init service.
# Peers are found by their compose service names on the lab network.
region    = "global"
data_dir  = "/data"
bind_addr = "0.0.0.0"
log_level = "info"

ports {
  http = 4646
  rpc  = 4647
}

server {
  authoritative_region = "global"
  region_peers = {
    "eu-west" = ["eu-west:4647"]
    "us-east" = ["us-east:4647"]
  }
}

acl {
  enabled = true
}

# TLS everywhere, with the certificates the `certs` service made in lab-tls.
tls {
  http                   = true
  rpc                    = true
  ca_file                = "/tls/tollgate-agent-ca.pem"
  cert_file              = "/tls/global-server-tollgate.pem"
  key_file               = "/tls/global-server-tollgate-key.pem"
  verify_server_hostname = true
}
