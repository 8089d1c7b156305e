# HA overlay for region "global" in the container lab (docker-compose.ha.yml),
# loaded after deploy/compose/global.hcl by both agents of the region (global and
# global-2): they follow the region's own etcd (etcd-global), and every other region
# is reached through both of its agents.
#
# LAB ONLY: a fixed, published encryption key, so that both agents of the
# region seal and open the same SecretIDs in etcd. Never reuse it.
etcd {
  endpoints = ["http://etcd-global:2379"]
}

acl {
  encryption_key = "OR96GBinIJ+rVyKVm5CJamKM7yH1jBkGx4Xuap54Jlc="
}

server {
  region_peers = {
    "eu-west" = ["eu-west:4647", "eu-west-2:4647"]
    "us-east" = ["us-east:4647", "us-east-2:4647"]
  }
}
