"""PyTorch reference U-Net: the same blocks and parameter names as native/unet.cc.

Weights move between this model and torch-unet by name (state_dict keys), so the oracle tests can load
one set of weights into both and compare logits, losses and gradients.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def make_norm(norm, channels):
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    return None


def activate(activation, x):
    if activation == "relu":
        return F.relu(x)
    if activation == "elu":
        return F.elu(x)
    return F.leaky_relu(x, 0.01)


class DoubleConv(nn.Module):
    def __init__(self, in_channels, out_channels, norm, activation):
        super().__init__()
        bias = norm == "none"
        self.activation = activation
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=bias)
        self.norm1 = make_norm(norm, out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=bias)
        self.norm2 = make_norm(norm, out_channels)

    def _normalize_and_activate(self, norm, x):
        return activate(self.activation, x if norm is None else norm(x))

    def forward(self, x):
        x = self._normalize_and_activate(self.norm1, self.conv1(x))
        return self._normalize_and_activate(self.norm2, self.conv2(x))


class Down(nn.Module):
    def __init__(self, in_channels, out_channels, norm, activation):
        super().__init__()
        self.conv = DoubleConv(in_channels, out_channels, norm, activation)

    def forward(self, x):
        return self.conv(F.max_pool2d(x, 2))


class Up(nn.Module):
    def __init__(self, in_channels, out_channels, upsampling, norm, activation):
        super().__init__()
        self.upsampling = upsampling
        if upsampling == "transposed":
            self.up = nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2)
        else:
            self.up = nn.Conv2d(in_channels, out_channels, 1)
        self.conv = DoubleConv(2 * out_channels, out_channels, norm, activation)

    def forward(self, x, skip):
        if self.upsampling == "transposed":
            x = self.up(x)
        else:
            # Written as the textbook order (upsample, then convolve) on purpose: the native model runs
            # the 1x1 convolution first, and the oracle checks that both orders agree.
            mode = "nearest" if self.upsampling == "nearest" else "bilinear"
            kwargs = {} if mode == "nearest" else {"align_corners": False}
            x = F.conv2d(F.interpolate(x, scale_factor=2.0, mode=mode, **kwargs), self.up.weight, self.up.bias)
        return self.conv(torch.cat([skip, x], 1))


class OutConv(nn.Module):
    def __init__(self, in_channels, classes):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, classes, 1)

    def forward(self, x):
        return self.conv(x)


class UNet(nn.Module):
    def __init__(self, in_channels=1, classes=1, depth=4, base_filters=64, growth=2.0, norm="batch",
                 activation="relu", upsampling="transposed", dropout=0.0):
        super().__init__()
        filters = [int(round(base_filters * growth ** level)) for level in range(depth + 1)]
        self.depth = depth
        self.inc = DoubleConv(in_channels, filters[0], norm, activation)
        self.downs = nn.ModuleList(
            [Down(filters[level], filters[level + 1], norm, activation) for level in range(depth)])
        self.dropout = nn.Dropout(dropout)
        self.ups = nn.ModuleList(
            [Up(filters[level], filters[level - 1], upsampling, norm, activation) for level in range(depth, 0, -1)])
        self.head = OutConv(filters[0], classes)

    def forward(self, x):
        multiple = 2 ** self.depth
        height, width = x.shape[2], x.shape[3]
        pad_bottom, pad_right = (-height) % multiple, (-width) % multiple
        if pad_bottom or pad_right:
            x = F.pad(x, (0, pad_right, 0, pad_bottom), mode="reflect")
        skips = []
        y = self.inc(x)
        for down in self.downs:
            skips.append(y)
            y = down(y)
        y = self.dropout(y)
        for up in self.ups:
            y = up(y, skips.pop())
        return self.head(y)[:, :, :height, :width]


def perturb_batch_norm_statistics(model, batches_tracked=None):
    """Non-trivial running statistics, so that eval mode really uses them and buffers are checked too."""
    with torch.no_grad():
        for name, buffer in model.named_buffers():
            if name.endswith("running_mean"):
                buffer.uniform_(-0.2, 0.2)
            elif name.endswith("running_var"):
                buffer.uniform_(0.5, 1.5)
            elif name.endswith("num_batches_tracked") and batches_tracked is not None:
                buffer.fill_(batches_tracked)
