// Placeholder: the trending producer's model goes here (replace this file).
