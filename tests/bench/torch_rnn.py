"""PyTorch reference for tests/bench/train-throughput.bench.ts: the same Embedding -> LSTM/GRU (optionally
bidirectional) -> Dense classifier trained with Adam at the same fixed shapes, on --threads threads, printing one
JSON line per model.

    /usr/bin/python3 tests/bench/torch_rnn.py --models lstm,gru,bilstm,bigru --steps 20 --threads 1
"""
import argparse
import json
import time

import torch
from torch import nn


class Classifier(nn.Module):
    def __init__(self, cell, vocab, emb, units, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        bidirectional = cell.startswith("bi")
        rnn = nn.LSTM if cell.endswith("lstm") else nn.GRU
        self.rnn = rnn(emb, units, batch_first=True, bidirectional=bidirectional)
        self.out = nn.Linear(units * (2 if bidirectional else 1), classes)

    def forward(self, x):
        _, h = self.rnn(self.embedding(x))
        if isinstance(h, tuple):  # LSTM returns (h, c)
            h = h[0]
        # h: [directions, batch, units]; concatenate the last state of each direction, as Keras' Bidirectional does.
        return self.out(torch.cat(list(h), dim=1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="lstm,gru")
    p.add_argument("--vocab", type=int, default=5000)
    p.add_argument("--emb", type=int, default=64)
    p.add_argument("--units", type=int, default=64)
    p.add_argument("--seq", type=int, default=100)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--classes", type=int, default=30)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = torch.randint(1, a.vocab, (a.batch, a.seq))
    y = torch.randint(0, a.classes, (a.batch,))
    for cell in a.models.split(","):
        model = Classifier(cell, a.vocab, a.emb, a.units, a.classes)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            return loss.item()

        for _ in range(a.warmup):
            step()
        t0 = time.perf_counter()
        c0 = time.process_time()
        for _ in range(a.steps):
            loss = step()
        ms = (time.perf_counter() - t0) * 1000 / a.steps
        cpu_ms = (time.process_time() - c0) * 1000 / a.steps
        print(json.dumps({"model": cell, "msPerStep": ms, "samplesPerSec": a.batch * 1000 / ms,
                          "cpuMsPerStep": cpu_ms, "samplesPerCpuSec": a.batch * 1000 / cpu_ms,
                          "loss": loss, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)


if __name__ == "__main__":
    main()
