"""Oracle for distributed training: the reference U-Net (test/reference/unet.py) trained by python3-torch's own
DistributedDataParallel on gloo, in `world` processes on this machine, as a PyTorch user runs it: the same
initial weights on rank 0 (DDP broadcasts them), DistributedSampler(shuffle, seed) with set_epoch, a DataLoader of
batch_size per rank, MONAI's DiceCE with sigmoid, Adam (or plain SGD, whose steps show the gradients' scale).

Usage: /usr/bin/python3 test/oracle/ddp_case.py < request.json
request: {"dir": str, "config": {...UNetConfig}, "shape": [N, C, H, W], "world": int, "port": int, "seed": int,
          "epochs": int, "batchSize": int, "lr": float, "optimizer": "adam" (default) | "sgd"}
reads dir/initial.pt (a state dict), dir/images.bin (float32), dir/masks.bin (uint8); writes dir/rank<r>.json:
{"state": {name: tensor}, "losses": [per step]} for every rank; prints {"ranks": world}.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
sys.path.insert(0, os.path.dirname(__file__))
from tensor_io import encode  # noqa: E402
from unet import UNet  # noqa: E402
from unet_case import dice_ce  # noqa: E402


def worker(rank, request):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{request['port']}", rank=rank,
                            world_size=request["world"])
    config = request["config"]
    model = UNet(in_channels=config["inChannels"], classes=config["classes"], depth=config["depth"],
                 base_filters=config["baseFilters"], growth=config["growth"], norm=config["norm"],
                 activation=config["activation"], upsampling=config["upsampling"])
    if rank == 0:  # the other ranks start from their own weights: DDP's broadcast must replace them
        model.load_state_dict(torch.load(os.path.join(request["dir"], "initial.pt")))
    # Channels-last, as torch-unet trains on the CPU: the same oneDNN kernels, so the same sums in the same order.
    model = model.to(memory_format=torch.channels_last).train()
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    shape = request["shape"]
    images = torch.from_numpy(np.fromfile(os.path.join(request["dir"], "images.bin"), dtype=np.float32).reshape(shape))
    masks = torch.from_numpy(np.fromfile(os.path.join(request["dir"], "masks.bin"), dtype=np.uint8).reshape(shape))
    dataset = torch.utils.data.TensorDataset(images, masks.float())
    sampler = torch.utils.data.distributed.DistributedSampler(dataset, shuffle=True, seed=request["seed"])
    loader = torch.utils.data.DataLoader(dataset, batch_size=request["batchSize"], sampler=sampler)
    if request.get("optimizer", "adam") == "sgd":
        optimizer = torch.optim.SGD(ddp.parameters(), lr=request["lr"])  # plain SGD: the step is the gradient's scale
    else:
        optimizer = torch.optim.Adam(ddp.parameters(), lr=request["lr"])
    losses = []
    for epoch in range(request["epochs"]):
        sampler.set_epoch(epoch)
        for x, y in loader:
            optimizer.zero_grad()
            loss = dice_ce(ddp(x.contiguous(memory_format=torch.channels_last)), y, 1)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    state = {name: encode(value) for name, value in model.state_dict().items()}
    with open(os.path.join(request["dir"], f"rank{rank}.json"), "w") as out:
        json.dump({"state": state, "losses": losses}, out)
    dist.destroy_process_group()


def main():
    request = json.load(sys.stdin)
    mp.spawn(worker, args=(request,), nprocs=request["world"], join=True)
    print(json.dumps({"ranks": request["world"]}))


if __name__ == "__main__":
    main()
