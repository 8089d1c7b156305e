# HA overlay for region "us-east" in the container lab (docker-compose.ha.yml),
# loaded after deploy/compose/us-east.hcl by both agents of the region (us-east and
# us-east-2): they follow the region's own etcd (etcd-us-east), and every other region
# is reached through both of its agents.
#
# LAB ONLY: a fixed, published encryption key, so that both agents of the
# region seal and open the same SecretIDs in etcd. Never reuse it.
etcd {
  endpoints = ["http://etcd-us-east:2379"]
}

acl {
  encryption_key = "OR96GBinIJ+rVyKVm5CJamKM7yH1jBkGx4Xuap54Jlc="
}

server {
  region_peers = {
    "global"  = ["global:4647", "global-2:4647"]
    "eu-west" = ["eu-west:4647", "eu-west-2:4647"]
  }
}
