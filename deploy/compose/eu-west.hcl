# Agent config of region "eu-west" in the container lab (docker-compose.yml).
# A follower. acl.replication_token comes from a second config file that the
# lab-init service writes into the lab-secrets volume:
#   -config=/lab-secrets/replication.hcl
# Peers are found by their compose service names on the lab network.
region    = "eu-west"
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
    "global"  = ["global:4647"]
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
  cert_file              = "/tls/eu-west-server-tollgate.pem"
  key_file               = "/tls/eu-west-server-tollgate-key.pem"
  verify_server_hostname = true
}
