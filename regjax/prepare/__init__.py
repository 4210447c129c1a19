"""Bring your own experiment: turn tracks, annotations, genomes and peaks into regjax inputs.

`python -m regjax.prepare histone ...` (bigWig/BAM tracks + GTF/BED genes -> DeepChrome layout) and
`python -m regjax.prepare sequences ...` (genome FASTA + peaks -> labelled sequences). Needs the
`prepare` extra (pyBigWig, pysam, pyfaidx).
"""
