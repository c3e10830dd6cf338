"""mrpn_tf: Multi-modal Residual Perceptron Network (Chang & Skarbek, Sensors 2021) in TF/Keras."""

__version__ = "0.1.0"
