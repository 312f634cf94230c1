"""The French voice of the audio captcha: the ten digits spoken by eSpeak NG, built once, shipped.

The `captcha` package reads one directory per character holding WAV files, 8 kHz mono unsigned
8-bit (the format of its noise and beep). Its bundled voice speaks English, so Guichet ships its own
French recordings in web/accounts/voices/fr/, generated with the Debian package `espeak-ng`
(`make captcha-voice`, which runs this module; provenance and licence in voices/README.md). The
recordings are committed so that the portal needs no speech synthesiser at run time.
"""

from __future__ import annotations

import array
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

VOICES = Path(__file__).resolve().parent / "voices"
DIGITS = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf")
RATE = 8000


def _to_captcha_format(source: Path, target: Path) -> None:
    """16-bit PCM at any rate → 8 kHz unsigned 8-bit, by linear interpolation, silence trimmed."""
    with wave.open(str(source)) as reader:
        if (reader.getsampwidth(), reader.getnchannels()) != (2, 1):
            raise ValueError(f"{source}: eSpeak NG devait produire du PCM 16 bits mono.")
        rate = reader.getframerate()
        samples = array.array("h", reader.readframes(reader.getnframes()))
    loud = [i for i, s in enumerate(samples) if abs(s) > 300]
    if loud:
        samples = samples[loud[0] : loud[-1] + 1]
    count = int(len(samples) * RATE / rate)
    out = bytearray(count)
    for i in range(count):
        position = i * rate / RATE
        j = int(position)
        nxt = samples[min(j + 1, len(samples) - 1)]
        value = samples[j] + (nxt - samples[j]) * (position - j)
        out[i] = max(0, min(255, int(value / 256) + 128))
    with wave.open(str(target), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(1)
        writer.setframerate(RATE)
        writer.writeframes(bytes(out))


def build(destination: Path = VOICES / "fr") -> None:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        sys.exit("espeak-ng est introuvable : installez le paquet Debian « espeak-ng ».")
    with tempfile.TemporaryDirectory() as tmp:
        for digit, word in enumerate(DIGITS):
            raw = Path(tmp) / f"{digit}.wav"
            # A fixed program and fixed words: no user input reaches this command line.
            subprocess.run([espeak, "-v", "fr", "-s", "130", "-w", str(raw), word], check=True)  # noqa: S603
            folder = destination / str(digit)
            folder.mkdir(parents=True, exist_ok=True)
            _to_captcha_format(raw, folder / "default.wav")
    print(f"Voix française du contrôle audio écrite dans {destination}")


if __name__ == "__main__":
    build()
