# %% [markdown]
# # 11. Convolutional layers: local receptive fields, shared weights, pooling
#
# *Lecture 14, "Convolutional Neural Networks" (after Nielsen's* Neural Networks and Deep
# Learning, *chapter 6, the notes' source).*
#
# A fully connected layer treats pixels that are far apart and pixels that are close together
# "on exactly the same footing". A convolutional layer instead connects each hidden neuron to a
# small **local receptive field** (5x5 pixels in the notes), uses the **same weights and bias**
# for every position, and is followed by **pooling**. Here we check the notes' formula against
# `nn.Conv2d`, count parameters, train a small CNN on the 8x8 digits and look at what it learned.

# %%
import gradtrace.nn.functional as F
import matplotlib.pyplot as plt
import numpy as np
from gradtrace import Tensor, gradcheck
from gradtrace.conv_gates import conv2d, max_pool2d
from gradtrace.nn.conv import Conv2d, Flatten, MaxPool2d
from gradtrace.nn import fit, predict
from gradtrace.nn.data import load_digits, train_test_split
from gradtrace.nn.layers import Linear, ReLU, Sequential
from gradtrace.nn.optim import SGD, CosineAnnealingLR
from gradtrace.viz.conv import plot_feature_maps, plot_filters
from gradtrace.viz.network import network

# %% [markdown]
# ## Shapes: a 5x5 filter on a 28x28 image gives a 24x24 feature map
#
# "Size of first hidden layer with 5x5 filter applied on 28x28 image (with stride=1) is 24x24":
# the 5x5 window fits in 28 − 5 + 1 = 24 positions along each axis. In general the output is
# (H + 2·padding − k) // stride + 1. Inputs are NCHW: (batch, channels, height, width).

# %%
layer = Conv2d(1, 1, 5, seed=0)
a = np.random.default_rng(0).normal(size=(1, 1, 28, 28))   # one 28x28 grey-scale image
z = layer(a)
print(layer, "->", z.shape)
assert z.shape == (1, 1, 24, 24)

# %% [markdown]
# ## One output neuron by hand
#
# The notes' formula for the hidden neuron (j, k):
#
# $$z_{j,k} = b + \sum_{l=0}^{4}\sum_{m=0}^{4} w_{l,m}\, a_{j+l,\,k+m}$$
#
# Two plain Python loops over the 25 weights of the filter, for one (j, k), against what the
# layer computed for all 576 neurons at once (by im2col: every receptive field laid out as a
# column, then one matrix product).

# %%
w, b = layer.weight.data[0, 0], layer.bias.data[0]
j, k = 10, 17
z_jk = b
for l in range(5):
    for m in range(5):
        z_jk += w[l, m] * a[0, 0, j + l, k + m]
print(f"by hand: z[{j},{k}] = {z_jk:.12f}")
print(f"layer:   z[{j},{k}] = {z.data[0, 0, j, k]:.12f}")
assert abs(z_jk - z.data[0, 0, j, k]) < 1e-12

# %% [markdown]
# ## Shared weights: the gradients add up
#
# The same 25 weights are used by all 576 neurons, so dJ/dw_lm is a sum of 576 terms, one
# per position: "gradients add at branches", as for a value used twice in a scalar graph. The
# conv gate computes that sum as one more matrix product; finite differences agree.

# %%
x = Tensor(np.random.default_rng(1).normal(size=(2, 1, 6, 6)))
w_small = Tensor(np.random.default_rng(2).normal(size=(3, 1, 3, 3)))
b_small = Tensor(np.zeros(3))
print("gradcheck:", gradcheck(lambda x, w, b: (conv2d(x, w, b) ** 2).sum(), x, w_small, b_small))

# %% [markdown]
# ## Max pooling is the max gate again
#
# A 2x2 max pool keeps the largest activation of each window. Backward, each window's gradient
# goes to its arg-max (the first one on a tie) and the other three pixels get 0: the "router"
# of the gate patterns notebook.

# %%
x = Tensor(np.array([[[[1.0, 4.0, 2.0, 2.0],
                       [4.0, 0.0, 2.0, 2.0]]]]), requires_grad=True)
out = max_pool2d(x, 2)
out.backward(np.array([[[[10.0, 20.0]]]]))
print("pooled:", out.data.ravel(), "\ngradient:\n", x.grad[0, 0])
assert (x.grad[0, 0] == [[0, 10, 20, 0], [0, 0, 0, 0]]).all()  # ties: the first maximum wins

# %% [markdown]
# ## Why far fewer parameters
#
# "Weights (25) and a bias are stored in each hidden neuron", shared by the whole feature map.
# Nielsen's comparison: 20 feature maps of 5x5 filters on a 28x28 image against a fully
# connected first layer of a modest 30 hidden neurons; and, for the same 24x24 hidden layer,
# what one feature map costs with and without sharing.

# %%
def count(model):
    return sum(p.data.size for p in model.parameters())


conv20 = Conv2d(1, 20, 5)
fc30 = Linear(28 * 28, 30)
fc576 = Linear(28 * 28, 24 * 24)
print(f"20 feature maps, 5x5 filters:      {count(conv20):>9,} parameters (20 x 26)")
print(f"fully connected, 784 -> 30:        {count(fc30):>9,} parameters")
print(f"one 24x24 feature map, shared:     {count(Conv2d(1, 1, 5)):>9,} parameters")
print(f"the same 576 neurons, not shared:  {count(fc576):>9,} parameters")
assert (count(conv20), count(fc30)) == (520, 23_550)  # Nielsen, chapter 6

# %% [markdown]
# ## A small CNN on the 8x8 digits
#
# Two convolution + ReLU + 2x2 max-pool stages (8x8 → 16 maps of 4x4 → 32 maps of 2x2), then
# a linear layer to the 10 classes, against the 64-128-64-10 MLP of the nn notebooks. Same
# split (a quarter held out), same standardization, optimizer, mini-batches, epochs and seed
# (the recipe of `benchmarks/train_digits_cnn.py`, which also runs five seeds).

# %%
X, y = load_digits()
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, seed=0, stratify=y)
mean, std = Xtr.mean(), Xtr.std()
Xtr, Xte = (Xtr - mean) / std, (Xte - mean) / std
fig, axes = plt.subplots(1, 10, figsize=(10, 1.3))
for ax, image, label in zip(axes, Xtr[:10], ytr[:10], strict=True):
    ax.imshow(image.reshape(8, 8), cmap="gray_r")
    ax.set_title(str(label))
    ax.set_axis_off()
plt.show()

rng = np.random.default_rng(0)
cnn = Sequential(
    Conv2d(1, 16, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2),
    Conv2d(16, 32, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2),
    Flatten(), Linear(32 * 2 * 2, 10, rng=rng),
)
rng = np.random.default_rng(0)
mlp = Sequential(Linear(64, 128, rng=rng), ReLU(), Linear(128, 64, rng=rng), ReLU(),
                 Linear(64, 10, rng=rng))
print(cnn)
print(f"CNN {count(cnn):,} parameters, MLP {count(mlp):,}")

# %% [markdown]
# `fit` is the training loop (epochs of shuffled mini-batches: forward, loss, `zero_grad`,
# `backward`, `step`, and the schedule once per epoch). The CNN reads each row of 64 pixels as
# a 1x8x8 image; the MLP reads the rows as they are.

# %%
images = {"CNN": (Xtr.reshape(-1, 1, 8, 8), Xte.reshape(-1, 1, 8, 8)), "MLP": (Xtr, Xte)}
for name, model in (("MLP", mlp), ("CNN", cnn)):
    train_X, test_X = images[name]
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    history = fit(model, F.cross_entropy, train_X, ytr, epochs=20, batch_size=32, optimizer=opt,
                  scheduler=CosineAnnealingLR(opt, T_max=20), seed=0, progress=False)
    accuracy = (predict(model, test_X) == yte).mean()
    print(f"{name}: {accuracy:.2%} of the {len(yte)} held-out digits, "
          f"trained in {sum(history['time']):.1f} s")

# %% [markdown]
# ## The learned filters
#
# The 16 filters of the first layer, each a 3x3 grid of the weights w_lm (red positive, blue
# negative, one scale for all): small edge and stroke detectors, applied at every position.

# %%
plot_filters(cnn[0], title="the first layer's 16 learned 3x3 filters")

# %% [markdown]
# ## The feature maps of one image
#
# One held-out digit through the network: each row is a layer, each small image one feature
# map, bright where that filter's feature was found. After ReLU only the positive responses
# remain; each max pool halves the resolution and keeps the strongest response of each 2x2
# region, "whether a feature was found, not exactly where".

# %%
image = Xte[0].reshape(8, 8)
print("label:", yte[0], " predicted:", cnn(Tensor(image.reshape(1, 1, 8, 8))).data.argmax())
plot_feature_maps(cnn, image)

# %% [markdown]
# ## The network view
#
# The whole computation graph of a mini-batch loss, one box per layer with parameters: each
# `Conv2d` (its conv2d gate with its weight and bias, and the ReLU after it) is one box; the
# arrows are coloured by the size of the gradients flowing back. Drawn top to bottom and at most
# 8 inches wide (`rankdir="TB", size=8`), so that it and its caption fit the notebook's column.

# %%
loss = F.cross_entropy(cnn(Tensor(Xtr[:32].reshape(-1, 1, 8, 8))), ytr[:32])
cnn.zero_grad()
loss.backward()
network(loss, model=cnn, rankdir="TB", size=8)
