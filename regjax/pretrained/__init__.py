"""Published models of the field, read without their original frameworks.

`torch_legacy`: PyTorch's legacy `torch.save` format in numpy. `attentivechrome`: the published
AttentiveChrome tensors mapped onto regjax's module. `models/`: converted model directories shipped
in the package (`pretrained:NAME` wherever a model directory is accepted).
"""
