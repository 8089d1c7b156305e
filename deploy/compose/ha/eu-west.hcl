# HA overlay for region "eu-west" in the container lab (docker-compose.ha.yml),
# loaded after deploy/compose/eu-west.hcl by both agents of the region (eu-west and
# eu-west-2): they follow the region's own etcd (etcd-eu-west), and every other region
# is reached through both of its agents.
#
# LAB ONLY: a fixed, published encryption key, so that both agents of the
# region seal and open the same SecretIDs in etcd. Never reuse it.
etcd {
  endpoints = ["http://etcd-eu-west:2379"]
}

acl {
  encryption_key = "OR96GBinIJ+rVyKVm5CJamKM7yH1jBkGx4Xuap54Jlc="
}

server {
  region_peers = {
    "global"  = ["global:4647", "global-2:4647"]
    "us-east" = ["us-east:4647", "us-east-2:4647"]
  }
}
