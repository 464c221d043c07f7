"""Pure rules about suppliers' data (no Django): what makes a documented history coherent."""
