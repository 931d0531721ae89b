# %% [markdown]
# # 16. The lecture's CNN: one 28x28 image, one 5x5 filter, one 24x24 feature map
#
# *Lecture notes `000` (Dugad, lecture 14): "Convolutional Neural Networks": local receptive
# fields, "Size of first hidden layer with 5x5 filter applied on 28x28 image (with stride=1) is
# 24x24", shared weights and biases, z_jk = b + Σ_l Σ_m w_lm a_(j+l),(k+m), a_jk = σ(z_jk),
# pooling. After Nielsen, chapter 6.*
#
# Notebook 11 checks the formula on random numbers and trains a CNN; this one follows the notes'
# own picture on a real image: which 25 pixels one hidden neuron sees, the numbers it multiplies,
# the weights every neuron shares, and what pooling keeps.
#
# **About the image.** The notes use 28x28 grey-scale images (MNIST). gradtrace bundles only the
# 8x8 handwritten digits, so the 28x28 image here is **made by upsampling** one 8x8 digit
# (bilinear interpolation, 8 → 28 pixels a side), pixel values scaled to [0, 1]. It is a
# stand-in with the notes' size, not an MNIST image.

# %%
import matplotlib.pyplot as plt
import numpy as np
from gradtrace import Tensor
from gradtrace.nn.conv import Conv2d, MaxPool2d
from gradtrace.nn.data import load_digits
from gradtrace.nn.layers import Linear
from matplotlib.patches import ConnectionPatch, Rectangle


def upsample(image, size):
    """Bilinear interpolation of a square image to size x size (pixel centres aligned)."""
    n = image.shape[0]
    at = (np.arange(size) + 0.5) * n / size - 0.5          # where each new pixel falls
    at = np.clip(at, 0, n - 1)
    rows = np.array([np.interp(at, np.arange(n), row) for row in image])
    return np.array([np.interp(at, np.arange(n), col) for col in rows.T]).T


X, y = load_digits()
digit = X[y == 3][0].reshape(8, 8) / 16.0
image = upsample(digit, 28)
print("8x8 digit", digit.shape, "-> upsampled", image.shape, f"values {image.min():.2f}..{image.max():.2f}")
assert image.shape == (28, 28) and 0 <= image.min() and image.max() <= 1

fig, axes = plt.subplots(1, 2, figsize=(6, 3))
axes[0].imshow(digit, cmap="gray_r", vmin=0, vmax=1)
axes[0].set_title("bundled 8x8 digit", fontsize=10)
axes[1].imshow(image, cmap="gray_r", vmin=0, vmax=1)
axes[1].set_title("upsampled to 28x28", fontsize=10)
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()

# %% [markdown]
# ## A 5x5 filter gives a 24x24 feature map
#
# One filter: 25 weights w_lm and one bias b. We set them by hand so the numbers are easy to
# follow: a **vertical-edge detector** (−1 on its two left columns, +1 on its two right columns,
# 0 in the middle, all divided by 10) with b = −0.1. The window fits in 28 − 5 + 1 = 24
# positions along each axis, so there are 24 x 24 = 576 hidden neurons.

# %%
conv = Conv2d(1, 1, 5)
w = np.array([[-1.0, -1.0, 0.0, 1.0, 1.0]] * 5) / 10
b = -0.1
conv.weight.data[:] = w
conv.bias.data[:] = b
a_in = Tensor(image.reshape(1, 1, 28, 28))
z = conv(a_in)
a_out = z.sigmoid()
print(conv, ": input", a_in.shape, "-> feature map", z.shape, "  (notes: 28x28 -> 24x24)")
print("filter w_lm:\n", w)
assert z.shape == (1, 1, 24, 24) and 28 - 5 + 1 == 24

# %% [markdown]
# ## The local receptive field of one hidden neuron
#
# We follow the neuron where the filter responds most strongly, (j, k) = (8, 8). It is
# connected to the 5x5 region of the image starting at row 8, column 8, and to nothing else: its
# local receptive field (left, the red square). The same neuron is the red square on the feature
# map (right). Sliding the field by one pixel moves to the next neuron.

# %%
j, k = np.unravel_index(z.data[0, 0].argmax(), (24, 24))
assert (j, k) == (8, 8)
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.2))
left.imshow(image, cmap="gray_r", vmin=0, vmax=1)
left.add_patch(Rectangle((k - 0.5, j - 0.5), 5, 5, fill=False, edgecolor="#c62828", lw=2))
left.set_title(f"28x28 input: the receptive field of neuron ({j}, {k})", fontsize=10)
feature = a_out.data[0, 0]
right.imshow(feature, cmap="viridis")
right.add_patch(Rectangle((k - 0.5, j - 0.5), 1, 1, fill=False, edgecolor="#c62828", lw=2))
right.set_title(f"24x24 feature map a = σ(z): neuron ({j}, {k})", fontsize=10)
for ax in (left, right):
    ax.set_xticks(range(0, ax.get_images()[0].get_array().shape[1], 4))
    ax.set_yticks(range(0, ax.get_images()[0].get_array().shape[0], 4))
    ax.tick_params(labelsize=7)
link = ConnectionPatch(xyA=(k + 4.5, j + 2), coordsA=left.transData, xyB=(k - 0.5, j),
                       coordsB=right.transData, color="#c62828", lw=1.2, arrowstyle="->")
fig.add_artist(link)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## z_jk with the image's own numbers
#
# The notes' formula for neuron (j, k):
#
# $$z_{j,k} = b + \sum_{l=0}^{4}\sum_{m=0}^{4} w_{l,m}\, a_{j+l,\,k+m}, \qquad a_{j,k} = \sigma(z_{j,k})$$
#
# Below: the 25 pixels of the receptive field, the 25 products w_lm · a_(j+l),(k+m), their sum,
# the bias, and σ; then the same neuron as `Conv2d` computed it (all 576 at once).

# %%
patch = image[j:j + 5, k:k + 5]
products = w * patch
z_jk = b + products.sum()
a_jk = 1 / (1 + np.exp(-z_jk))
np.set_printoptions(precision=4, suppress=True)
print(f"pixels a[{j}+l, {k}+m]:\n{patch}\n")
print(f"products w_lm * a[{j}+l, {k}+m]:\n{products}\n")
print(f"z[{j},{k}] = b + sum = {b} + {products.sum():.6f} = {z_jk:.6f}")
print(f"a[{j},{k}] = sigma(z) = {a_jk:.6f}")
print(f"Conv2d:    z[{j},{k}] = {z.data[0, 0, j, k]:.6f},  a[{j},{k}] = {a_out.data[0, 0, j, k]:.6f}")
assert abs(z_jk - z.data[0, 0, j, k]) < 1e-12 and abs(a_jk - a_out.data[0, 0, j, k]) < 1e-12
assert z_jk > 0 and patch[:, 3:].sum() > patch[:, :2].sum()

# %% [markdown]
# Pixel values are ink (0 blank, 1 black). This field sits on the left edge of a stroke: its two
# left columns are nearly blank, its two right columns inked, so the filter's +0.1 columns win
# and z is positive, the largest of the map. Every one of the 576 neurons is the same formula
# at its own (j, k); the next cell checks all of them with two loops.

# %%
by_hand = np.array([[b + (w * image[jj:jj + 5, kk:kk + 5]).sum() for kk in range(24)]
                    for jj in range(24)])
assert np.allclose(by_hand, z.data[0, 0], atol=1e-12)
print("all 576 neurons by the formula = Conv2d's output: True")

# %% [markdown]
# ## Shared weights and bias
#
# "The SAME weights and bias for each of the 24x24 neurons in the first hidden layer": the
# feature map has 25 + 1 = 26 parameters. Without sharing, 576 neurons with 25 weights and a
# bias each would need 14,976; a fully connected layer from all 784 pixels to 576 neurons,
# 452,160. (A fully connected layer reads the image as one column of 28 · 28 = 784 numbers, as
# note 004 flattens an M x N x 3 colour image into a 3MN x 1 column: where a pixel was, and who
# its neighbours were, is lost. The convolution keeps the image 2-D.)

# %%
count = lambda m: sum(p.data.size for p in m.parameters())  # noqa: E731
print(f"shared (Conv2d(1, 1, 5)):            {count(conv):>8,}")
print(f"not shared (576 x (25 + 1)):         {576 * 26:>8,}")
print(f"fully connected (Linear(784, 576)):  {count(Linear(784, 576)):>8,}")
assert count(conv) == 26 and count(Linear(784, 576)) == 784 * 576 + 576

# %% [markdown]
# Because all 576 neurons use the same w_lm, its gradient is a **sum over the neurons**:
# for J = Σ_jk a_jk, ∂J/∂w_lm = Σ_jk σ'(z_jk) a_(j+l),(k+m), and ∂J/∂b = Σ_jk σ'(z_jk): the
# "gradients add at branches" of the scalar graphs, 576 branches at a time. backward() agrees
# with the sum written out:

# %%
conv.zero_grad()
a_out = conv(a_in).sigmoid()
a_out.sum().backward()
s = a_out.data[0, 0]
dsig = s * (1 - s)                                    # σ'(z_jk) for every neuron
dw = np.array([[(dsig * image[l:l + 24, m:m + 24]).sum() for m in range(5)] for l in range(5)])
print("dJ/dw by the sum over 576 neurons:\n", dw)
print(f"dJ/db = {dsig.sum():.6f}   backward: {conv.bias.grad[0]:.6f}")
assert np.allclose(dw, conv.weight.grad[0, 0], atol=1e-12)
assert abs(dsig.sum() - conv.bias.grad[0]) < 1e-12

# %% [markdown]
# ## Pooling
#
# A 2x2 max-pooling layer keeps the largest activation of each 2x2 region of the feature map:
# 24x24 → 12x12, "whether the feature was found in the region, not exactly where". Backward,
# each region's gradient goes to its largest neuron only (the max gate routes).

# %%
pool = MaxPool2d(2)
feature_t = Tensor(a_out.data, requires_grad=True)
pooled = pool(feature_t)
pooled.sum().backward()
print(pool, ":", feature_t.shape, "->", pooled.shape)
r, c = j // 2, k // 2
window = feature_t.data[0, 0, 2 * r:2 * r + 2, 2 * c:2 * c + 2]
print(f"region ({r}, {c}) of the feature map:\n{window}\n-> pooled {pooled.data[0, 0, r, c]:.4f}")
print("gradient back into the region:\n", feature_t.grad[0, 0, 2 * r:2 * r + 2, 2 * c:2 * c + 2])
assert pooled.shape == (1, 1, 12, 12) and pooled.data[0, 0, r, c] == window.max()
assert feature_t.grad[0, 0].sum() == 144 and set(np.unique(feature_t.grad)) == {0.0, 1.0}

fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
for ax, picture, title in zip(axes, [image, feature, pooled.data[0, 0]],
                              ["input 28x28", "feature map 24x24", "max-pooled 12x12"]):
    ax.imshow(picture, cmap="gray_r" if picture is image else "viridis")
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()
