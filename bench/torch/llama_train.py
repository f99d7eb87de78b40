#!/usr/bin/env python3
"""PyTorch peer for `npm run bench:train`: trains the same Llama shape as Crucible's engine and prints one
JSON line {"tokens_per_s", "step_s", "params", ...}.

PyTorch is never a dependency of Crucible. The benchmark runs this with Debian's /usr/bin/python3 when
`import torch` works there (apt-get install python3-torch libopenblas0-pthread: without OpenBLAS, Debian's
PyTorch falls back to a reference BLAS ~20x slower, an unfair peer) and skips it otherwise.

The model matches src/engine/nn: token embedding, per block RMSNorm -> attention (Hugging Face
rotate_half RoPE, grouped-query, causal) and RMSNorm -> SwiGLU MLP with residuals, final RMSNorm, LM head
(untied unless --tied), no biases. One step = forward, cross-entropy, backward, global-norm clipping at
1.0, AdamW. PyTorch 1.13 has no scaled_dot_product_attention, so attention is written out, which also
materialises the [B,NH,T,T] scores as Crucible's graph does.
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):  # [B, T, C]
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(seq_len, head_size, theta):
    """cos/sin [T, HS] in the Hugging Face layout: frequencies repeated for both halves."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_size, 2, dtype=torch.float32) / head_size))  # [HS/2]
    freqs = torch.outer(torch.arange(seq_len, dtype=torch.float32), inv_freq)  # [T, HS/2]
    emb = torch.cat((freqs, freqs), dim=-1)  # [T, HS]
    return emb.cos(), emb.sin()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    def __init__(self, hidden, heads, kv_heads):
        super().__init__()
        self.nh, self.kv, self.hs = heads, kv_heads, hidden // heads
        self.q = nn.Linear(hidden, heads * self.hs, bias=False)
        self.k = nn.Linear(hidden, kv_heads * self.hs, bias=False)
        self.v = nn.Linear(hidden, kv_heads * self.hs, bias=False)
        self.o = nn.Linear(heads * self.hs, hidden, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        q = self.q(x).view(B, T, self.nh, self.hs).transpose(1, 2)  # [B, NH, T, HS]
        k = self.k(x).view(B, T, self.kv, self.hs).transpose(1, 2)  # [B, KV, T, HS]
        v = self.v(x).view(B, T, self.kv, self.hs).transpose(1, 2)  # [B, KV, T, HS]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if self.kv != self.nh:  # grouped-query: each KV head serves NH/KV query heads
            k = k.repeat_interleave(self.nh // self.kv, dim=1)  # [B, NH, T, HS]
            v = v.repeat_interleave(self.nh // self.kv, dim=1)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.hs)  # [B, NH, T, T]
        scores = scores.masked_fill(mask, float("-inf"))
        probs = F.softmax(scores, dim=-1)  # [B, NH, T, T]
        y = (probs @ v).transpose(1, 2).reshape(B, T, self.nh * self.hs)  # [B, T, C]
        return self.o(y)


class MLP(nn.Module):
    def __init__(self, hidden, ffn):
        super().__init__()
        self.gate = nn.Linear(hidden, ffn, bias=False)
        self.up = nn.Linear(hidden, ffn, bias=False)
        self.down = nn.Linear(ffn, hidden, bias=False)

    def forward(self, x):  # [B, T, C] -> [B, T, F] -> [B, T, C]
        return self.down(F.silu(self.gate(x)) * self.up(x))


class Block(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.attn_norm = RMSNorm(a.hidden, a.norm_eps)
        self.attn = Attention(a.hidden, a.heads, a.kv_heads)
        self.mlp_norm = RMSNorm(a.hidden, a.norm_eps)
        self.mlp = MLP(a.hidden, a.ffn)

    def forward(self, x, cos, sin, mask):
        x = x + self.attn(self.attn_norm(x), cos, sin, mask)
        return x + self.mlp(self.mlp_norm(x))


class Llama(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.embed = nn.Embedding(a.vocab, a.hidden)
        self.blocks = nn.ModuleList(Block(a) for _ in range(a.layers))
        self.norm = RMSNorm(a.hidden, a.norm_eps)
        self.lm_head = nn.Linear(a.hidden, a.vocab, bias=False)
        if a.tied:
            self.lm_head.weight = self.embed.weight
        cos, sin = rope_tables(a.seq_len, a.hidden // a.heads, a.rope_theta)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        mask = torch.triu(torch.ones(a.seq_len, a.seq_len, dtype=torch.bool), diagonal=1)
        self.register_buffer("mask", mask, persistent=False)  # True above the diagonal: future positions
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, idx):  # [B, T] -> logits [B, T, V]
        x = self.embed(idx)
        for block in self.blocks:
            x = block(x, self.cos, self.sin, self.mask)
        return self.lm_head(self.norm(x))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--vocab", type=int, default=8192)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--kv-heads", type=int, default=8)
    p.add_argument("--ffn", type=int, default=688)
    p.add_argument("--tied", action="store_true")
    p.add_argument("--rope-theta", type=float, default=10000.0)
    p.add_argument("--norm-eps", type=float, default=1e-5)
    p.add_argument("--batch", "-B", type=int, default=16)
    p.add_argument("--seq-len", "-T", type=int, default=256)
    p.add_argument("--steps", type=int, default=5, help="timed steps")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = Llama(a)
    params = sum(p.numel() for p in model.parameters())  # tied weights count once
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]  # norms: no weight decay, as in Crucible
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=3e-4, betas=(0.9, 0.95), eps=1e-8, foreach=True,
    )
    tokens = torch.randint(0, a.vocab, (a.batch, a.seq_len + 1))
    inputs, targets = tokens[:, :-1].contiguous(), tokens[:, 1:].contiguous()  # [B, T] each

    def step():
        logits = model(inputs)  # [B, T, V]
        loss = F.cross_entropy(logits.view(-1, a.vocab), targets.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    times = []
    loss = float("nan")
    for _ in range(a.steps):
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)
    times.sort()
    step_s = times[len(times) // 2]  # median: robust to a noisy neighbour on a shared machine
    print(json.dumps({
        "tokens_per_s": a.batch * a.seq_len / step_s,
        "step_s": step_s,
        "best_step_s": times[0],
        "best_tokens_per_s": a.batch * a.seq_len / times[0],
        "params": params,
        "loss": loss,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux reports KiB
        "threads": a.threads,
        "batch": a.batch,
        "seq_len": a.seq_len,
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
