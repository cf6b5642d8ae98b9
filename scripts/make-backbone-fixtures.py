#!/usr/bin/python3
"""Writes the reference fixtures the backbone exactness tests compare TorchSharp against.

ImageNet weights cannot be downloaded on every machine that runs the tests, so each torchvision architecture
is initialised from a fixed seed with Debian's PyTorch/torchvision (python3-torch, python3-torchvision) and
saved as a PyTorch state dict (.pth, torch.save's zip format) and as .safetensors. Parameters and buffers
that torchvision initialises to constants (BatchNorm statistics and affine terms, ConvNeXt's layer scale,
ViT's class token and zero head) are randomised too, so a wrong normalisation or a skipped layer cannot hide
behind an identity. Reference outputs (pre-logit features and logits) are computed for a few real
hymenoptera images, whose preprocessed input tensor is saved as well, so the tests compare the networks on
exactly the same input; so is torchvision's FiveCrop of the same images (five-crop.safetensors, [4, 5, 3, 224, 224]:
top left, top right, bottom left, bottom right, centre), and the same input resized bicubically (bicubic.safetensors,
the DINOv2 weight sets' transform).

Also written: five steps of PyTorch's Adam (L2 decay) and AdamW on seeded tensors and gradients, in two
parameter groups with their own learning rates (optimizer.adam/adamw.safetensors), which the optimizer tests
replay; two Adam steps of each parameter-efficient recipe (BitFit, norm, LoRA) on resnet18 with a new head
(peft.<recipe>.safetensors) and two SGD steps of LoRA and of shallow VPT on vit_b_16 (peft.vit-lora and
peft.vit-vpt.safetensors), which the PEFT exactness tests replay; torchvision's RandAugment and
TrivialAugmentWide operations on two real images (uint8, 224 x 224) at fixed magnitudes, with both policies'
magnitude tables (augment-ops.safetensors and augment-ops.json, which names each case); a timm-named copy of vit_b_16 (keys renamed by timm's conversion rules), and a .pth whose
pickle would run a shell command when unpickled by Python (the loader must refuse it without running it).

Usage: scripts/make-backbone-fixtures.py OUT_DIR [DATASET_DIR]
"""
import json
import math
import os
import struct
import sys

import torch
import torchvision
from PIL import Image
from torchvision import transforms

FORMAT = "transferlab-backbone-fixtures/1"
ARCHITECTURES = [
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "mobilenet_v3_large",
    "efficientnet_b0",
    "convnext_tiny",
    "vit_b_16",
    "dinov2_vits14",
    "dinov2_vitb14",
    "dinov2_vits14_reg",
    "clip_vitb16",
]
HEAD = {
    "resnet18": "fc",
    "resnet34": "fc",
    "resnet50": "fc",
    "resnet101": "fc",
    "mobilenet_v3_large": "classifier.3",
    "efficientnet_b0": "classifier.1",
    "convnext_tiny": "classifier.2",
    "vit_b_16": "heads.head",
    "dinov2_vits14": "head",
    "dinov2_vitb14": "head",
    "dinov2_vits14_reg": "head",
    "clip_vitb16": "head",
}
# DINOv2 (no torchvision model): width, heads, register tokens.
DINOV2 = {"dinov2_vits14": (384, 6, 0), "dinov2_vitb14": (768, 12, 0), "dinov2_vits14_reg": (384, 6, 4)}
IMAGES = [
    "val/ants/10308379_1b6c72e180.jpg",
    "val/ants/1053149811_f62a3410d3.jpg",
    "val/bees/1032546534_06907fe3b3.jpg",
    "val/bees/10870992_eebeeb3a12.jpg",
]


def save_safetensors(tensors, path):
    """The safetensors layout: 8-byte little-endian header length, a JSON header, then the raw tensors."""
    header, offset, blobs = {}, 0, []
    for name, tensor in tensors.items():
        data = tensor.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)
    os.replace(path + ".tmp", path)


def randomise_constants(model, generator):
    """Gives every parameter or buffer that torchvision initialises to a constant random values of the same scale."""
    with torch.no_grad():
        for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
            if not tensor.is_floating_point() or tensor.numel() == 0:
                continue
            flat = tensor.flatten()
            if not bool((flat == flat[0]).all()):
                continue
            noise = torch.rand(tensor.shape, generator=generator)
            if name.endswith("running_var") or (name.endswith("weight") and float(flat[0]) == 1.0):
                tensor.copy_(0.5 + noise)  # scales: around 1
            elif name.endswith("layer_scale"):
                tensor.copy_(0.1 + 0.4 * noise)  # 1e-6 in torchvision: blocks would be near identities
            else:
                tensor.copy_(0.2 * (noise - 0.5))  # biases, means, class token, ViT's zero head


def features_and_logits(name, model, x):
    """Pre-logit features (the head's input) and logits, captured with a hook on the head."""
    captured = {}
    head = model.get_submodule(HEAD[name])
    def keep_input(module, inputs, output):
        captured["features"] = inputs[0]  # returns None: a hook's return value would replace the output

    hook = head.register_forward_hook(keep_input)
    logits = model(x)
    hook.remove()
    return captured["features"], logits


def timm_vit_names(state):
    """torchvision vit_b_16 keys under timm's names (timm's checkpoint_filter_fn run backwards)."""
    renamed = {}
    for key, value in state.items():
        k = key.replace("encoder.layers.encoder_layer_", "blocks.")
        k = k.replace(".ln_1.", ".norm1.").replace(".ln_2.", ".norm2.")
        k = k.replace(".self_attention.in_proj_", ".attn.qkv.").replace(".self_attention.out_proj.", ".attn.proj.")
        k = k.replace(".mlp.0.", ".mlp.fc1.").replace(".mlp.3.", ".mlp.fc2.")
        k = {"class_token": "cls_token", "encoder.pos_embedding": "pos_embed"}.get(k, k)
        k = k.replace("conv_proj.", "patch_embed.proj.").replace("encoder.ln.", "norm.").replace("heads.head.", "head.")
        renamed[k] = value
    return renamed


OPTIMIZER_SHAPES = {"conv": (16, 8, 3, 3), "bias": (16,), "fc": (2, 512)}
OPTIMIZERS = {  # kind: (class, base rate, decay); conv and bias train at a tenth of the base rate
    "adam": (torch.optim.Adam, 1e-3, 1e-3),
    "adamw": (torch.optim.AdamW, 1e-3, 1e-2),
}


def optimizer_steps(out):
    """PyTorch's parameters and moments after five steps of each optimizer, with the gradients of every step."""
    for index, (kind, (optimizer_class, rate, decay)) in enumerate(OPTIMIZERS.items()):
        generator = torch.Generator().manual_seed(3000 + index)
        start = {n: torch.randn(s, generator=generator) for n, s in OPTIMIZER_SHAPES.items()}
        params = {n: t.clone().requires_grad_() for n, t in start.items()}
        groups = [{"params": [params["conv"], params["bias"]], "lr": rate / 10}, {"params": [params["fc"]]}]
        optimizer = optimizer_class(groups, lr=rate, weight_decay=decay)
        tensors = {f"start.{n}": t for n, t in start.items()}
        for step in range(5):
            for n, p in params.items():
                tensors[f"grad{step}.{n}"] = torch.randn(p.shape, generator=generator)
                p.grad = tensors[f"grad{step}.{n}"].clone()
            optimizer.step()
        for n, p in params.items():
            tensors[f"end.{n}"] = p.detach()
            tensors[f"exp_avg.{n}"] = optimizer.state[p]["exp_avg"]
            tensors[f"exp_avg_sq.{n}"] = optimizer.state[p]["exp_avg_sq"]
        save_safetensors(tensors, os.path.join(out, f"optimizer.{kind}.safetensors"))


class Dinov2Block(torch.nn.Module):
    """dinov2/layers/block.py's Block (Attention, LayerScale, Mlp), without drop path: x + ls1(attn(norm1(x))), then
    x + ls2(mlp(norm2(x)))."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = torch.nn.LayerNorm(dim, eps=1e-6)
        self.attn = torch.nn.Module()
        self.attn.qkv = torch.nn.Linear(dim, 3 * dim)
        self.attn.proj = torch.nn.Linear(dim, dim)
        self.ls1 = torch.nn.Module()
        self.ls1.gamma = torch.nn.Parameter(torch.ones(dim))
        self.norm2 = torch.nn.LayerNorm(dim, eps=1e-6)
        self.mlp = torch.nn.Module()
        self.mlp.fc1 = torch.nn.Linear(dim, 4 * dim)
        self.mlp.fc2 = torch.nn.Linear(4 * dim, dim)
        self.ls2 = torch.nn.Module()
        self.ls2.gamma = torch.nn.Parameter(torch.ones(dim))

    def attention(self, x):
        """dinov2/layers/attention.py's Attention.forward."""
        B, N, C = x.shape
        qkv = self.attn.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * (C // self.heads) ** -0.5, qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.attn.proj((attn @ v).transpose(1, 2).reshape(B, N, C))

    def forward(self, x):
        x = x + self.attention(self.norm1(x)) * self.ls1.gamma
        mlp = self.mlp.fc2(torch.nn.functional.gelu(self.mlp.fc1(self.norm2(x))))
        return x + mlp * self.ls2.gamma


class Dinov2(torch.nn.Module):
    """DINOv2's DinoVisionTransformer as facebookresearch/dinov2 writes it (models/vision_transformer.py: the torch hub
    models' patch 14, img_size 518, block_chunks 0, LayerScale, interpolate_offset 0.1 without antialiasing, register
    tokens after the class token), written out because Debian's PyTorch has no dinov2 package; state-dict keys are the
    hub checkpoints'. Its head takes the class token and the mean patch token side by side (DINOv2's linear
    classifiers, Hugging Face's Dinov2ForImageClassification)."""

    def __init__(self, dim, heads, registers, classes=1000):
        super().__init__()
        self.dim, self.registers, grid = dim, registers, 37
        self.patch_embed = torch.nn.Module()
        self.patch_embed.proj = torch.nn.Conv2d(3, dim, 14, stride=14)
        self.cls_token = torch.nn.Parameter(torch.randn(1, 1, dim))
        self.pos_embed = torch.nn.Parameter(torch.randn(1, grid * grid + 1, dim) * 0.02)
        self.mask_token = torch.nn.Parameter(torch.randn(1, dim))
        if registers:
            self.register_tokens = torch.nn.Parameter(torch.randn(1, registers, dim))
        self.blocks = torch.nn.ModuleList([Dinov2Block(dim, heads) for _ in range(12)])
        self.norm = torch.nn.LayerNorm(dim, eps=1e-6)
        self.head = torch.nn.Linear(2 * dim, classes)

    def interpolate_pos_encoding(self, x, w, h):
        N = self.pos_embed.shape[1] - 1
        M = int(math.sqrt(N))
        w0, h0 = w // 14 + 0.1, h // 14 + 0.1
        patch = torch.nn.functional.interpolate(
            self.pos_embed[:, 1:].float().reshape(1, M, M, self.dim).permute(0, 3, 1, 2),
            scale_factor=(float(w0 / M), float(h0 / M)), mode="bicubic")
        patch = patch.permute(0, 2, 3, 1).view(1, -1, self.dim)
        return torch.cat((self.pos_embed[:, :1], patch), dim=1).to(x.dtype)

    def features(self, x):
        B, _, w, h = x.shape
        tokens = self.patch_embed.proj(x).flatten(2).transpose(1, 2)
        tokens = torch.cat((self.cls_token.expand(B, -1, -1), tokens), dim=1)
        tokens = tokens + self.interpolate_pos_encoding(tokens, w, h)
        if self.registers:
            tokens = torch.cat((tokens[:, :1], self.register_tokens.expand(B, -1, -1), tokens[:, 1:]), dim=1)
        for block in self.blocks:
            tokens = block(tokens)
        tokens = self.norm(tokens)
        return torch.cat((tokens[:, 0], tokens[:, 1 + self.registers:].mean(dim=1)), dim=1)

    def forward(self, x):
        return self.head(self.features(x))


class ClipResidualAttentionBlock(torch.nn.Module):
    """openai/CLIP clip/model.py's ResidualAttentionBlock: nn.MultiheadAttention on [L, N, D], LayerNorm, an MLP of
    c_fc, QuickGELU (x * sigmoid(1.702 x)) and c_proj."""

    def __init__(self, width, heads):
        super().__init__()
        self.attn = torch.nn.MultiheadAttention(width, heads)
        self.ln_1 = torch.nn.LayerNorm(width)
        self.mlp = torch.nn.Sequential()
        self.mlp.add_module("c_fc", torch.nn.Linear(width, 4 * width))
        self.mlp.add_module("c_proj", torch.nn.Linear(4 * width, width))
        self.ln_2 = torch.nn.LayerNorm(width)

    def forward(self, x):
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        h = self.mlp.c_fc(self.ln_2(x))
        return x + self.mlp.c_proj(h * torch.sigmoid(1.702 * h))


class ClipVision(torch.nn.Module):
    """openai/CLIP clip/model.py's VisionTransformer for ViT-B/16 (input 224, patch 16, width 768, 12 layers, 12 heads,
    output 512), written out because Debian's PyTorch has no CLIP package; keys are the checkpoint's visual.* part.
    A classifier head on the 512-dimensional image embedding is added as head.*."""

    def __init__(self, classes=1000):
        super().__init__()
        width, scale = 768, 768 ** -0.5
        self.conv1 = torch.nn.Conv2d(3, width, 16, stride=16, bias=False)
        self.class_embedding = torch.nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = torch.nn.Parameter(scale * torch.randn(14 * 14 + 1, width))
        self.ln_pre = torch.nn.LayerNorm(width)
        self.transformer = torch.nn.Module()
        self.transformer.resblocks = torch.nn.Sequential(*[ClipResidualAttentionBlock(width, 12) for _ in range(12)])
        self.ln_post = torch.nn.LayerNorm(width)
        self.proj = torch.nn.Parameter(scale * torch.randn(width, 512))
        self.head = torch.nn.Linear(512, classes)

    def forward(self, x):
        x = self.conv1(x)
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        zeros = torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype)
        x = torch.cat([self.class_embedding.to(x.dtype) + zeros, x], dim=1)
        x = self.ln_pre(x + self.positional_embedding.to(x.dtype))
        x = self.transformer.resblocks(x.permute(1, 0, 2)).permute(1, 0, 2)
        return self.head(self.ln_post(x[:, 0, :]) @ self.proj)


def clip_names(state):
    """OpenAI's names with the visual. prefix, as in CLIP's whole state dict (the head stays head.*), and one text
    tower key, which loading must drop."""
    named = {(k if k.startswith("head.") else "visual." + k): v for k, v in state.items()}
    named["token_embedding.weight"] = torch.zeros(4, 8)
    return named


def clip_hf_names(state):
    """OpenAI's names under Hugging Face's CLIPVisionModelWithProjection (vision_model.*, in_proj split into q/k/v_proj,
    the projection as visual_projection.weight, transposed)."""
    renames = [("conv1.weight", "embeddings.patch_embedding.weight"), ("class_embedding", "embeddings.class_embedding"),
               ("positional_embedding", "embeddings.position_embedding.weight"), ("ln_pre.", "pre_layrnorm."),
               ("ln_post.", "post_layernorm."), ("transformer.resblocks.", "encoder.layers."),
               (".attn.out_proj.", ".self_attn.out_proj."), (".ln_1.", ".layer_norm1."), (".ln_2.", ".layer_norm2."),
               (".mlp.c_fc.", ".mlp.fc1."), (".mlp.c_proj.", ".mlp.fc2.")]
    hf = {}
    for key, value in state.items():
        if key.startswith("head."):
            hf[key] = value
            continue
        if key == "proj":
            hf["visual_projection.weight"] = value.t().contiguous()
            continue
        k = key
        for old, new in renames:
            k = k.replace(old, new)
        if ".attn.in_proj_" in k:
            part = k.rsplit("_", 1)[1]
            for name, chunk in zip(["q", "k", "v"], value.chunk(3, dim=0)):
                hf["vision_model." + k.replace(f".attn.in_proj_{part}", f".self_attn.{name}_proj.{part}")] = chunk.clone()
            continue
        hf["vision_model." + k] = value
    return hf


def dinov2_hf_names(state):
    """The hub names under Hugging Face's (Dinov2Model): embeddings.*, encoder.layer.N.* with attn.qkv split into
    attention.attention.query/key/value, layernorm."""
    hf = {}
    for key, value in state.items():
        k = {"cls_token": "embeddings.cls_token", "mask_token": "embeddings.mask_token",
             "pos_embed": "embeddings.position_embeddings", "register_tokens": "embeddings.register_tokens"}.get(key, key)
        k = k.replace("patch_embed.proj.", "embeddings.patch_embeddings.projection.")
        if k.startswith("norm."):
            k = "layernorm." + k[len("norm."):]
        if k.startswith("blocks."):
            k = "encoder.layer." + k[len("blocks."):]
            k = k.replace(".attn.proj.", ".attention.output.dense.")
            k = k.replace(".ls1.gamma", ".layer_scale1.lambda1").replace(".ls2.gamma", ".layer_scale2.lambda1")
            if ".attn.qkv." in k:
                for part, chunk in zip(["query", "key", "value"], value.chunk(3, dim=0)):
                    hf[k.replace(".attn.qkv.", f".attention.attention.{part}.")] = chunk.clone()
                continue
        hf[k] = value
    return hf


class LoraConv2d(torch.nn.Module):
    """HF PEFT's LoRA on a convolution (peft/tuners/lora/layer.py, _ConvNd.update_layer and forward): lora_A is a
    convolution with the layer's kernel, stride and padding to r channels (kaiming_uniform_, a=sqrt(5)), lora_B a 1x1
    convolution back (zeros); the layer computes base(x) + lora_B(lora_A(x)) * alpha / r, the base frozen."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.lora_A = torch.nn.Conv2d(base.in_channels, r, base.kernel_size, base.stride, base.padding, bias=False)
        self.lora_B = torch.nn.Conv2d(r, base.out_channels, 1, 1, bias=False)
        torch.nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        torch.nn.init.zeros_(self.lora_B.weight)
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(x)) * self.scaling


def add_lora(model, r, alpha):
    """LoRA on every ungrouped convolution of the residual blocks (not the stem, not the shortcuts); returns the
    adapters by TransferLab's key prefix (lora.layer1_0_conv1)."""
    adapters = {}
    for name, module in list(model.named_modules()):
        if isinstance(module, torch.nn.Conv2d) and name.startswith("layer") and "downsample" not in name:
            parent, child = name.rsplit(".", 1)
            wrapped = LoraConv2d(module, r, alpha)
            setattr(model.get_submodule(parent), child, wrapped)
            adapters["lora." + name.replace(".", "_")] = wrapped
    return adapters


def peft_steps(out, inputs):
    """Two Adam steps (lr 1e-3) of BitFit, norm and LoRA (r 2, alpha 4) on resnet18's fixture weights with a new
    two-class head, on the four fixture images labelled 0, 0, 1, 1, in float64: Adam's early steps divide a gradient by
    its own magnitude, so where a gradient is near zero float32's rounding (which differs between PEFT's unmerged
    convolution pair and a merged weight) decides the step. BatchNorm layers with a trained parameter are in train
    mode, the others in inference mode (TransferLab's bn=eval). Saved: the starting head and LoRA factors (init.*)
    and every trained parameter after the steps (after.*), under TransferLab's names."""
    labels = torch.tensor([0, 0, 1, 1])
    for recipe in ["bitfit", "norm", "lora"]:
        torch.manual_seed(3000)
        model = torchvision.models.resnet18()
        model.load_state_dict(torch.load(os.path.join(out, "resnet18.pth")))
        model.fc = torch.nn.Linear(512, 2)
        adapters = add_lora(model, 2, 4.0) if recipe == "lora" else {}
        norms = {n for n, m in model.named_modules() if isinstance(m, torch.nn.BatchNorm2d)}
        trained = {}
        for name, p in model.named_parameters():
            owner = name.rsplit(".", 1)[0]
            is_trained = (name.startswith("fc.") or "lora_" in name
                          or recipe == "bitfit" and name.endswith(".bias")
                          or recipe == "norm" and owner in norms)
            p.requires_grad_(is_trained)
            if is_trained:
                trained[transferlab_name(name, adapters)] = p
        model.train()
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d) and not any(p.requires_grad for p in module.parameters()):
                module.eval()
        tensors = {"init.fc.weight": model.fc.weight.detach().clone(), "init.fc.bias": model.fc.bias.detach().clone()}
        for prefix, adapter in adapters.items():
            tensors[f"init.{prefix}.lora_A"] = adapter.lora_A.weight.detach().clone()
        model.double()
        optimizer = torch.optim.Adam(list(trained.values()), lr=1e-3)
        for _ in range(2):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(inputs.double()), labels).backward()
            optimizer.step()
        for name, p in trained.items():
            tensors[f"after.{name}"] = p.detach().clone()
        save_safetensors(tensors, os.path.join(out, f"peft.{recipe}.safetensors"))


class LoraDelta(torch.nn.Module):
    """W + (alpha / r) * B @ A as a parametrization of a linear weight: HF PEFT's LoRA Linear (lora_A Linear(in, r),
    kaiming_uniform_ a=sqrt(5); lora_B Linear(r, out), zeros) computes x W^T + (x A^T B^T) * s, the same function. Also
    how a LoRA on nn.MultiheadAttention's fused in_proj_weight reads."""

    def __init__(self, weight, r, alpha):
        super().__init__()
        self.lora_A = torch.nn.Parameter(torch.empty(r, weight.shape[1]))
        self.lora_B = torch.nn.Parameter(torch.zeros(weight.shape[0], r))
        torch.nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scaling = alpha / r

    def forward(self, weight):
        return weight + self.lora_B @ self.lora_A * self.scaling


def vit_with_new_head(out, seed):
    """vit_b_16 with the fixture's weights, frozen, and a new two-class head (drawn after the seed is set)."""
    torch.manual_seed(seed)
    model = torchvision.models.vit_b_16()
    model.load_state_dict(torch.load(os.path.join(out, "vit_b_16.pth")))
    model.heads.head = torch.nn.Linear(768, 2)
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def two_sgd_steps(model, trained, tensors, inputs, path):
    """Two SGD steps (lr 0.01, no momentum) of the trained tensors on two fixture images labelled 0 and 1; saves
    their starting values (already in tensors) and their values after as safetensors."""
    for p in trained.values():
        p.requires_grad_(True)
    model.train()
    optimizer = torch.optim.SGD(list(trained.values()), lr=1e-2)
    for _ in range(2):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs[:2]), torch.tensor([0, 1])).backward()
        optimizer.step()
    for name, p in trained.items():
        tensors[f"after.{name}"] = p.detach().clone()
    save_safetensors(tensors, path)


def vit_lora_steps(out, inputs):
    """Two SGD steps of LoRA r 2, alpha 4 on vit_b_16's attention (the fused query-key-value projection and the output
    projection) and MLP layers, with a new two-class head. SGD in float32, not Adam in float64 as peft_steps: a float64
    ViT-B takes minutes here, and an SGD step is linear in the gradient, so float32's rounding stays at its size. Saved
    as peft.vit-lora.safetensors, with TransferLab's names."""
    from torch.nn.utils import parametrize
    model = vit_with_new_head(out, 3001)
    trained = {"heads.head.weight": model.heads.head.weight, "heads.head.bias": model.heads.head.bias}
    tensors = {f"init.{k}": v.detach().clone() for k, v in trained.items()}
    for name, module in list(model.named_modules()):
        weight = ("in_proj_weight" if isinstance(module, torch.nn.MultiheadAttention)
                  else "weight" if isinstance(module, torch.nn.Linear) and name.startswith("encoder.") else None)
        if weight is None:
            continue
        delta = LoraDelta(getattr(module, weight), 2, 4.0)
        parametrize.register_parametrization(module, weight, delta)
        prefix = "lora." + name.replace(".", "_")
        tensors[f"init.{prefix}.lora_A"] = delta.lora_A.detach().clone()
        trained[f"{prefix}.lora_A"], trained[f"{prefix}.lora_B"] = delta.lora_A, delta.lora_B
    two_sgd_steps(model, trained, tensors, inputs, os.path.join(out, "peft.vit-lora.safetensors"))


def vit_vpt_steps(out, inputs):
    """Two SGD steps of shallow visual prompt tuning with 3 prompt tokens on vit_b_16, with a new two-class head. The
    prompts as KMnP/vpt's incorporate_prompt puts them: after the class token, once the position embeddings are added,
    before the first block, initialised uniform in +-sqrt(6 / (3 * 16^2 + 768)); no projection, no dropout. Saved as
    peft.vit-vpt.safetensors, with TransferLab's names."""
    model = vit_with_new_head(out, 3002)
    bound = math.sqrt(6.0 / (3 * 16 * 16 + 768))
    prompts = torch.nn.Parameter(torch.empty(1, 3, 768).uniform_(-bound, bound))
    encoder = model.encoder

    def encode_with_prompts(x):
        x = encoder.dropout(x + encoder.pos_embedding)
        x = torch.cat([x[:, :1], prompts.expand(x.shape[0], -1, -1), x[:, 1:]], dim=1)
        return encoder.ln(encoder.layers(x))

    encoder.forward = encode_with_prompts
    trained = {"heads.head.weight": model.heads.head.weight, "heads.head.bias": model.heads.head.bias,
               "vpt.prompts": prompts}
    tensors = {f"init.{k}": v.detach().clone() for k, v in trained.items()}
    two_sgd_steps(model, trained, tensors, inputs, os.path.join(out, "peft.vit-vpt.safetensors"))


def transferlab_name(name, adapters):
    """layer1.0.conv1.lora_A.weight (the wrapper's) is lora.layer1_0_conv1.lora_A in TransferLab; base weights keep
    torchvision's names."""
    if "lora_" in name:
        module, factor = name.rsplit(".", 2)[0], name.rsplit(".", 2)[1]
        return f"lora.{module.replace('.', '_')}.{factor}"
    return name.replace(".base.", ".")


class RunsAShellCommand:
    """Unpickled by Python, this would run a command (pickle's __reduce__ names os.system)."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/transferlab-pickle-ran",))


def augment_ops(out, dataset):
    """Each operation of torchvision's RandAugment / TrivialAugmentWide (autoaugment._apply_op, nearest, no fill)
    on uint8 tensors of two real images, at RandAugment's default bin (9), a middle bin (17) and TrivialAugment's
    last (30), both signs where signed; and the magnitude tables of both policies at 224 pixels."""
    from torchvision.transforms import autoaugment
    view = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.PILToTensor()])
    images = torch.stack([view(Image.open(os.path.join(dataset, p)).convert("RGB")) for p in IMAGES[1:3]])
    tables = {"randaugment": autoaugment.RandAugment()._augmentation_space(31, (224, 224)),
              "trivialaugment": autoaugment.TrivialAugmentWide()._augmentation_space(31)}
    tensors, cases = {"input": images.permute(0, 2, 3, 1)}, []
    for policy, space in tables.items():
        for op, (magnitudes, _) in space.items():
            if magnitudes.ndim > 0:
                tensors[f"table/{policy}/{op}"] = magnitudes.to(torch.float32)
    for op, (magnitudes, signed) in tables["randaugment"].items():
        wide = tables["trivialaugment"][op][0]
        picks = [0.0] if magnitudes.ndim == 0 else [float(magnitudes[9]), float(magnitudes[17]), float(wide[30])]
        for magnitude in picks + ([-m for m in picks] if signed else []):
            key = f"case/{len(cases)}"
            output = autoaugment._apply_op(images, op, magnitude, transforms.InterpolationMode.NEAREST, None)
            tensors[key] = output.permute(0, 2, 3, 1)
            cases.append({"key": key, "op": op, "magnitude": magnitude})
    save_safetensors(tensors, os.path.join(out, "augment-ops.safetensors"))
    with open(os.path.join(out, "augment-ops.json"), "w") as f:
        json.dump({"images": IMAGES[1:3], "cases": cases}, f, indent=1)


def main():
    out = sys.argv[1]
    dataset = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "../../shared/datasets/hymenoptera_data")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    preprocess = transforms.Compose([
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    inputs = torch.stack([preprocess(Image.open(os.path.join(dataset, p)).convert("RGB")) for p in IMAGES])
    save_safetensors({"input": inputs}, os.path.join(out, "inputs.safetensors"))
    five_crop = transforms.Compose([transforms.Resize(256), transforms.FiveCrop(224)])
    normalise = transforms.Compose([transforms.ToTensor(), preprocess.transforms[-1]])
    crops = [torch.stack([normalise(c) for c in five_crop(Image.open(os.path.join(dataset, p)).convert("RGB"))])
             for p in IMAGES]
    save_safetensors({"input": torch.stack(crops)}, os.path.join(out, "five-crop.safetensors"))
    bicubic = transforms.Compose([transforms.Resize(256, interpolation=transforms.InterpolationMode.BICUBIC),
                                  *preprocess.transforms[1:]])
    resized = [bicubic(Image.open(os.path.join(dataset, p)).convert("RGB")) for p in IMAGES]
    save_safetensors({"input": torch.stack(resized)}, os.path.join(out, "bicubic.safetensors"))
    augment_ops(out, dataset)
    for index, name in enumerate(ARCHITECTURES):
        torch.manual_seed(1000 + index)
        model = (Dinov2(*DINOV2[name]) if name in DINOV2 else ClipVision() if name == "clip_vitb16"
                 else getattr(torchvision.models, name)())
        randomise_constants(model, torch.Generator().manual_seed(2000 + index))
        model.eval()
        state = model.state_dict()
        torch.save(clip_names(state) if name == "clip_vitb16" else state, os.path.join(out, f"{name}.pth"))
        named = dinov2_hf_names(state) if name in DINOV2 else clip_hf_names(state) if name == "clip_vitb16" else state
        save_safetensors({k: v for k, v in named.items() if v.is_floating_point()}, os.path.join(out, f"{name}.safetensors"))
        with torch.no_grad():
            features, logits = features_and_logits(name, model, inputs)
        save_safetensors({"features": features, "logits": logits}, os.path.join(out, f"{name}.reference.safetensors"))
        if name == "vit_b_16":
            torch.save(timm_vit_names(state), os.path.join(out, "vit_b_16.timm.pth"))
        print(f"{name}: {sum(p.numel() for p in model.parameters()):,} parameters", flush=True)
    optimizer_steps(out)
    peft_steps(out, inputs)
    vit_lora_steps(out, inputs)
    vit_vpt_steps(out, inputs)
    torch.save({"conv1.weight": torch.zeros(1), "payload": RunsAShellCommand()}, os.path.join(out, "runs-code.pth"))
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"format": FORMAT, "torch": torch.__version__, "torchvision": torchvision.__version__,
                   "images": IMAGES, "architectures": ARCHITECTURES, "heads": HEAD}, f, indent=1)


if __name__ == "__main__":
    main()
