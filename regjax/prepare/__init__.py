"""Bring your own experiment: turn tracks, annotations, genomes and peaks into regjax inputs.

`python -m regjax.prepare histone ...` (bigWig/BAM tracks + GTF/BED genes -> DeepChrome layout),
`... deepdiff ...` (two cells -> the DeepDiff pair layout) and `... sequences ...` (genome FASTA +
peaks -> labelled sequences). Needs the `prepare` extra (pyBigWig, pysam, pyfaidx);
docs/your_own_data.md describes every option.
"""
