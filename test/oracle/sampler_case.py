"""Oracle for distributedIndices: torch.utils.data.DistributedSampler's indices, rank by rank.

Usage: /usr/bin/python3 test/oracle/sampler_case.py < request.json
request: {"cases": [{"count", "world", "seed", "epoch", "shuffle", "dropLast"}]} -> [[indices of rank 0], ...] per case
"""
import json
import sys

from torch.utils.data.distributed import DistributedSampler


def main():
    request = json.load(sys.stdin)
    result = []
    for case in request["cases"]:
        ranks = []
        for rank in range(case["world"]):
            sampler = DistributedSampler(range(case["count"]), num_replicas=case["world"], rank=rank,
                                         shuffle=case["shuffle"], seed=case["seed"], drop_last=case["dropLast"])
            sampler.set_epoch(case["epoch"])
            ranks.append(list(sampler))
        result.append(ranks)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
