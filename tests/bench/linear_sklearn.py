"""scikit-learn's side of `npm run bench linear` (Debian python3-sklearn, run with /usr/bin/python3, one thread).

  linear_sklearn.py CSV TEXT_COLUMN LABEL_COLUMN [--grid]

Reads the rows of CSV whose `split` column is train or test and prints one JSON object: for TF-IDF (word 1-2
grams, sublinear tf) + LinearSVC and + LogisticRegression, both with scikit-learn's defaults, the test
macro-F1 and the seconds (wall and CPU) to vectorise and fit the train split. With --grid it also times what textbench's
search does in scikit-learn's terms: GridSearchCV over the same C grid, both losses, stratified 5-fold, on
words (the vectoriser fitted once, as textbench does; a Pipeline would refit it for every fold).
"""
import csv
import json
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.svm import LinearSVC

csv.field_size_limit(1 << 30)


def main():
    path, text, label = sys.argv[1:4]
    grid = '--grid' in sys.argv[4:]
    rows = list(csv.DictReader(open(path, encoding='utf-8', newline='')))
    train = [r for r in rows if r['split'] == 'train']
    test = [r for r in rows if r['split'] == 'test']
    xt, yt = [r[text] for r in train], [r[label] for r in train]
    xs, ys = [r[text] for r in test], [r[label] for r in test]
    out = {'train': len(train), 'test': len(test), 'classes': len(set(yt))}
    for name, make in (('svm', lambda: LinearSVC()), ('lr', lambda: LogisticRegression(max_iter=1000))):
        t = time.perf_counter()
        c = time.process_time()
        vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        x = vec.fit_transform(xt)
        clf = make().fit(x, yt)
        seconds = time.perf_counter() - t
        cpu = time.process_time() - c
        pred = clf.predict(vec.transform(xs))
        out[name] = {'macroF1': f1_score(ys, pred, average='macro'), 'seconds': seconds, 'cpuSeconds': cpu}
    if grid:
        t = time.perf_counter()
        vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        x = vec.fit_transform(xt)
        cs = [0.1, 0.3, 1, 3, 10, 30, 100]
        best = None
        for est in (LinearSVC(), LogisticRegression(solver='liblinear')):
            g = GridSearchCV(est, {'C': cs}, scoring='f1_macro', cv=StratifiedKFold(5, shuffle=True, random_state=0), n_jobs=1).fit(x, yt)
            if best is None or g.best_score_ > best.best_score_:
                best = g
        seconds = time.perf_counter() - t
        pred = best.best_estimator_.predict(vec.transform(xs))
        out['grid'] = {'macroF1': f1_score(ys, pred, average='macro'), 'seconds': seconds, 'chosen': f'{type(best.best_estimator_).__name__} C={best.best_params_["C"]}'}
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
