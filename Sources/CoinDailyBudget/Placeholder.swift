// Placeholder: the budget producer's model goes here (replace this file).
